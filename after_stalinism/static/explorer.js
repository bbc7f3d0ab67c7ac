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
