/* A reader's progress through the book, kept in this browser only (localStorage; nothing is sent
   anywhere): the self-check answers they gave and the lessons they marked as finished. The
   sidebar shows "N of M lessons finished" with a reset button, and a check mark beside each
   finished lesson. Lessons are the pages listed under the sidebar's "Lessons" caption. */
(function () {
  "use strict";
  var KEY = "after-stalinism-progress";

  function load() {
    try {
      var state = JSON.parse(window.localStorage.getItem(KEY) || "{}");
      return {finished: state.finished || {}, answers: state.answers || {}};
    } catch (e) { return {finished: {}, answers: {}}; }
  }
  function save(state) {
    try { window.localStorage.setItem(KEY, JSON.stringify(state)); } catch (e) { /* storage off: nothing kept */ }
  }
  function pathOf(href) { return new URL(href, window.location.href).pathname; }

  function lessonLinks() {
    var captions = document.querySelectorAll(".bd-links p.caption");
    for (var i = 0; i < captions.length; i++) {
      if (captions[i].textContent.trim() === "Lessons") {
        var list = captions[i].nextElementSibling;
        return list ? Array.prototype.slice.call(list.querySelectorAll(":scope > li > a.reference")) : [];
      }
    }
    return [];
  }

  var here = pathOf(window.location.href);
  var links = lessonLinks();
  var lessons = links.map(function (a) { return pathOf(a.href); });
  var isLesson = lessons.indexOf(here) >= 0;
  var summary, finishButton;

  function render() {
    var state = load();
    var done = lessons.filter(function (p) { return state.finished[p]; }).length;
    links.forEach(function (a, i) {
      var mark = a.querySelector(".course-done");
      if (state.finished[lessons[i]] && !mark) {
        mark = document.createElement("span");
        mark.className = "course-done";
        mark.innerHTML = '<span aria-hidden="true"> \u2713</span><span class="course-sr-only"> (finished)</span>';
        a.appendChild(mark);
      } else if (!state.finished[lessons[i]] && mark) {
        mark.remove();
      }
    });
    if (summary) {
      summary.querySelector(".course-progress-count").textContent =
        done + " of " + lessons.length + " lessons finished";
      var bar = summary.querySelector("progress");
      bar.value = done;
      bar.max = lessons.length;
    }
    if (finishButton) { finishButton.setAttribute("aria-pressed", state.finished[here] ? "true" : "false"); }
  }

  function addSummary() {
    var nav = document.querySelector(".bd-links");
    if (!nav || !lessons.length) { return; }
    summary = document.createElement("section");  // a landmark of its own (axe: region)
    summary.className = "course-progress";
    summary.setAttribute("aria-label", "Your progress");
    summary.innerHTML =
      '<p class="course-progress-count" aria-live="polite"></p>' +
      '<progress aria-label="Lessons finished"></progress>' +
      '<button type="button" class="course-progress-reset">Reset my progress</button>' +
      '<p class="course-progress-note">Kept in this browser only.</p>';
    summary.querySelector("button").addEventListener("click", function () {
      // One tap would erase every answer and finished mark: ask first.
      if (!window.confirm("Erase every answer and finished mark kept in this browser?")) { return; }
      try { window.localStorage.removeItem(KEY); } catch (e) { /* nothing kept */ }
      render();
      summary.querySelector(".course-progress-count").textContent += " (progress reset)";
    });
    nav.parentNode.insertBefore(summary, nav);
  }

  function addFinishButton() {
    if (!isLesson) { return; }
    var article = document.querySelector("article.bd-article") || document.querySelector("main");
    if (!article) { return; }
    var box = document.createElement("div");
    box.className = "course-finish";
    box.innerHTML = '<button type="button" aria-pressed="false">I have finished this lesson</button>';
    finishButton = box.querySelector("button");
    finishButton.addEventListener("click", function () {
      var state = load();
      if (state.finished[here]) { delete state.finished[here]; } else { state.finished[here] = true; }
      save(state);
      render();
    });
    article.appendChild(box);
  }

  /* Self-check answers: which answer was chosen (or typed) for each question on this page. */
  function questions() { return Array.prototype.slice.call(document.querySelectorAll(".self-check .Quiz")); }

  function remember(quiz, answer) {
    var index = questions().indexOf(quiz);
    if (index < 0) { return; }
    var state = load();
    state.answers[here] = state.answers[here] || {};
    state.answers[here][index] = answer;
    save(state);
  }

  // Bubble phase: a click the quiz stops on its way down (the browser's, on a choice an arrow key
  // moved to; see display/selfcheck.py) is no answer and is not kept.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".self-check .MCButton");
    if (button) { remember(button.closest(".Quiz"), {choice: button.textContent.trim()}); }
  });
  document.addEventListener("keypress", function (event) {
    var box = event.target.closest && event.target.closest(".self-check input.Input-text");
    if (box && (event.key === "Enter" || event.keyCode === 13)) { remember(box.closest(".Quiz"), {typed: box.value}); }
  }, true);

  function restoreAnswers() {
    var saved = load().answers[here] || {};
    var all = questions();
    Object.keys(saved).forEach(function (index) {
      var quiz = all[Number(index)], answer = saved[index];
      if (!quiz) { return; }
      if (answer.choice !== undefined) {
        var buttons = quiz.querySelectorAll(".MCButton");
        for (var i = 0; i < buttons.length; i++) {
          if (buttons[i].textContent.trim() === answer.choice) { buttons[i].click(); break; }
        }
      } else if (answer.typed !== undefined) {
        var box = quiz.querySelector("input.Input-text");
        if (box && box.onkeypress) {
          box.value = answer.typed;
          box.onkeypress.call(box, {which: 13, keyCode: 13, key: "Enter", target: box, preventDefault: function () {}});
        }
      }
    });
  }

  function whenQuizzesReady(callback, tries) {
    var expected = document.querySelectorAll(".self-check").length;
    if (!expected || questions().length || tries > 40) { callback(); return; }
    window.setTimeout(function () { whenQuizzesReady(callback, tries + 1); }, 50);
  }

  function start() {
    addSummary();
    addFinishButton();
    render();
    whenQuizzesReady(restoreAnswers, 0);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
