/* The static twin of an after_stalinism.twin.Explorer: switches between precomputed model runs
   with plotly.js when the reader moves a control. No kernel is involved. */
window.courseExplorer = function (uid) {
  "use strict";
  var root = document.getElementById(uid);
  var spec = JSON.parse(document.getElementById(uid + "-runs").textContent);
  var plot = document.getElementById(uid + "-plot");
  var inputs = Array.prototype.slice.call(root.querySelectorAll(".explorer-controls input, .explorer-controls select"));

  function currentKey() {
    return inputs.map(function (el) { return el.value; }).join("-");
  }

  function draw() {
    var key = currentKey();
    // plotly.js writes into the objects it is given: hand it a copy of the stored run.
    var run = JSON.parse(JSON.stringify(spec.runs.figures[key]));
    run.layout.template = spec.runs.template;
    plot.setAttribute("data-run", key);
    return Plotly.react(plot, run.data, run.layout, spec.config);
  }

  inputs.forEach(function (el) {
    el.addEventListener("input", function () {
      if (el.type === "range") {
        var text = JSON.parse(el.getAttribute("data-labels"))[Number(el.value)];
        document.getElementById(el.id + "-value").textContent = text;
        el.setAttribute("aria-valuetext", text);
      }
      draw();
    });
  });
  draw();
};

/* The static Bialer scorecard builder (after_stalinism.explorers.ScorecardBuilder): the reader rates
   seven features and the browser redraws the chart. Same arithmetic as after_stalinism.models:
   index = sum of ratings / (4 * 7); the largest difference is the first feature, in Bialer's order,
   with the biggest absolute change. */
window.courseScorecard = function (uid) {
  "use strict";
  var spec = JSON.parse(document.getElementById(uid + "-spec").textContent);
  var plot = document.getElementById(uid + "-plot");
  var result = document.getElementById(uid + "-result");
  var selects = Array.prototype.slice.call(document.querySelectorAll("#" + uid + " select[data-feature]"));
  var presetSelect = document.getElementById(uid + "-preset");
  var n = spec.features.length;

  function index(ratings) {
    return ratings.reduce(function (a, b) { return a + b; }, 0) / (spec.max * n);
  }

  function draw() {
    var mine = selects.map(function (el) { return Number(el.value); });
    var presetName = presetSelect.value;
    var preset = spec.presets[presetName];
    var fig = JSON.parse(JSON.stringify(spec.figure));
    var mineIndex = index(mine).toFixed(2), presetIndex = index(preset).toFixed(2);
    fig.data[0].x = mine;
    fig.data[0].name = "your profile: index " + mineIndex;
    fig.data[1].x = preset;
    fig.data[1].name = presetName + ": index " + presetIndex;
    fig.data[1].hovertemplate = "%{y}: %{x} of 4<extra>" + presetName + "</extra>";
    var top = 0;
    for (var i = 1; i < n; i++) {
      if (Math.abs(preset[i] - mine[i]) > Math.abs(preset[top] - mine[top])) { top = i; }
    }
    var summary = preset[top] === mine[top] ? "the two profiles are identical"
      : "largest difference: " + spec.features[top] + " (" + mine[top] + " vs " + preset[top] + ")";
    fig.layout.title.text = spec.title + "<br><sub>" + summary + "</sub>";
    plot.setAttribute("data-run", mine.join("") + "|" + presetName);
    result.textContent = "Your index: " + mineIndex + " (" + presetName + ": " + presetIndex + "); " + summary + ".";
    return Plotly.react(plot, fig.data, fig.layout, spec.config);
  }

  selects.concat([presetSelect]).forEach(function (el) { el.addEventListener("input", draw); });
  draw();
};
