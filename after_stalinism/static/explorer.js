/* Figures and explorers of the HTML book, drawn with the page's one copy of plotly.js.

   A figure's title and source note are HTML around the plot (after_stalinism.display.webfigure); the
   layout is adapted to the screen it is drawn on (courseLayout): on a narrow screen side-by-side
   panels stack, long category labels wrap, legends and colour bars go above the plot; at any width
   the values printed beside bars and markers get the room they need (courseFitLabels).

   Loading: this script is deferred, and fetches plotly.js (1.5 MB) itself once the page's text is
   there, so a lesson paints as fast as a text page (a script in the page's head has already
   asked for it at low priority, right after the first paint: see sphinxext.PRELOAD_AFTER_PAINT).
   Until a figure is drawn it shows its summary and its data table (HTML in the page). Figures on
   or near the screen are drawn first, the others after them (see `start`); `courseReady` resolves
   when all are drawn. An explorer's precomputed runs are fetched when the reader first reaches
   for its controls. */
(function () {
  "use strict";
  var NARROW = 640;  // px of viewport: below this a figure gets its narrow layout
  var here = document.currentScript ? document.currentScript.src : "";
  var STATIC = here ? here.replace(/[^/]*$/, "") : "_static/";
  var PLOTLY = STATIC + "plotly-cartesian.min.js";

  window.courseStatic = STATIC;
  window.courseIsNarrow = function () { return window.matchMedia("(max-width: " + (NARROW - 0.02) + "px)").matches; };
  // Touch screens have no hover, so plotly's toolbar would stay on top of the legend: no toolbar there.
  window.courseIsTouch = function () { return window.matchMedia("(hover: none), (pointer: coarse)").matches; };

  var loading = null;
  window.courseLoadPlotly = function () {
    if (window.Plotly) { return Promise.resolve(window.Plotly); }
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var tag = document.createElement("script");
        tag.src = PLOTLY;
        tag.async = true;
        tag.onload = function () { resolve(window.Plotly); };
        tag.onerror = function () { reject(new Error("plotly.js did not load")); };
        document.head.appendChild(tag);
      });
    }
    return loading;
  };

  var finished;
  window.courseReady = new Promise(function (resolve) { finished = resolve; });

  /* Draw every queued figure, one per task so the page stays responsive. The order follows the
     reader: a figure on or near the screen (an IntersectionObserver says which, also while the
     reader scrolls or jumps to a section) goes before the others, which follow in page order,
     so the figures a reader looks at are drawn first and all of them are drawn in the end (for
     print, and for `courseReady`). Timings are left as performance marks for benchmarks/book.py. */
  function start() {
    var waiting = [];
    (window.courseQueue || []).forEach(function (call) { waiting.push({name: call[0], uid: call[1]}); });
    window.courseQueue = {push: function (call) { window[call[0]](call[1]); }};  // late arrivals: at once
    if (!waiting.length) { finished(); return; }
    var near = {}, watch = null;
    if ("IntersectionObserver" in window) {
      watch = new IntersectionObserver(function (entries) {
        entries.forEach(function (entry) { near[entry.target.id] = entry.isIntersecting; });
      }, {rootMargin: "50% 0px"});  // half a screen ahead, so a figure is ready as it scrolls in
      waiting.forEach(function (job) {
        var el = document.getElementById(job.uid);
        if (el) { watch.observe(el); }
      });
    }
    function nextJob() {
      for (var i = 0; i < waiting.length; i++) {
        if (near[waiting[i].uid]) { return waiting.splice(i, 1)[0]; }
      }
      return waiting.shift();
    }
    window.courseLoadPlotly().then(function () {
      performance.mark("course:plotly-ready");
      (function next() {
        var job = nextJob();
        if (!job) {
          if (watch) { watch.disconnect(); }
          document.documentElement.classList.add("course-figures-ready");
          finished();
          return;
        }
        try { window[job.name](job.uid); } catch (e) { console.error(e); }
        performance.mark("course:drawn:" + job.uid);
        setTimeout(next, 0);
      })();
    }, function (e) { console.error(e); finished(); });
  }
  // After the page's first paint (deferred scripts run when the document is parsed).
  setTimeout(start, 0);

  function copy(value) { return JSON.parse(JSON.stringify(value)); }

  function wrap(text, width) {
    var words = String(text).replace(/<br>/g, " ").split(" "), lines = [], line = "";
    words.forEach(function (word) {
      if (line && (line + " " + word).length > width) { lines.push(line); line = word; }
      else { line = line ? line + " " + word : word; }
    });
    lines.push(line);
    return lines.join("<br>");
  }

  function categories(data, axis) {
    var seen = [];
    data.forEach(function (trace) {
      (Array.isArray(trace[axis]) ? trace[axis] : []).forEach(function (v) {
        // dates and numbers are not categories
        if (typeof v === "string" && isNaN(Number(v)) && !/^\d{4}-\d\d/.test(v) && seen.indexOf(v) < 0) { seen.push(v); }
      });
    });
    return seen;
  }

  /* A trace that prints its values beside its marks: bars with outside labels, markers with text. */
  function labelled(trace) {
    if (!Array.isArray(trace.text)) { return false; }
    if (trace.type === "bar") { return trace.textposition === "outside"; }
    return trace.type === "scatter" && /text/.test(trace.mode || "");
  }

  /* After a draw: a value label beside a mark must not be cut. Plotly cuts it at the plot area (if
     its trace clips) or at the figure's edge: such traces stop clipping, and the right margin grows
     by what the widest overhanging label needs (one relayout). Resolves to the plot. */
  window.courseFitLabels = function (gd) {
    var size = gd._fullLayout && gd._fullLayout._size, svg = gd.querySelector("svg.main-svg");
    if (!size || !svg) { return Promise.resolve(gd); }
    var edge = svg.getBoundingClientRect(), left = edge.left + size.l, width = edge.width - size.l;
    var plotRight = left + size.w, margin = size.r, clipped = [], pad = 4;
    var groups = gd.querySelectorAll(".barlayer .trace, .scatterlayer .trace");
    Array.prototype.forEach.call(groups, function (group) {
      var cd = group.__data__, trace = cd && cd[0] && cd[0].trace;
      if (!trace || !labelled(trace)) { return; }
      Array.prototype.forEach.call(group.querySelectorAll("text"), function (text) {
        var box = text.getBoundingClientRect();
        var limit = trace.cliponaxis === false ? edge.right - pad : plotRight;
        if (!box.width || box.right <= limit) { return; }
        if (clipped.indexOf(trace.index) < 0) { clipped.push(trace.index); }
        // The label starts at a share `at` of the plot's width; with a right margin m it ends at
        // left + at * (width - m) + its width, which must stay inside the figure.
        var at = (box.left - left) / size.w, room = width - pad - box.width;
        if (at > 0 && room > 0) { margin = Math.max(margin, width - room / at); }
      });
    });
    if (!clipped.length) { return Promise.resolve(gd); }
    margin = Math.min(Math.ceil(margin), width / 2);
    return Plotly.update(gd, {cliponaxis: false}, {"margin.r": margin}, clipped)
      .then(function () { return gd; });
  };

  /* The layout to draw `layout` with at `width` px (a new object). On a narrow screen it also fits the
     traces in `data` (shorter value labels, colour bars above the plot), so pass a copy. */
  window.courseLayout = function (data, layout, width, narrow) {
    var out = copy(layout);
    out.autosize = true;
    delete out.width;
    if (narrow === undefined) { narrow = width < NARROW; }
    if (!narrow) { return out; }
    out.font = Object.assign({}, out.font, {size: 11});
    out.margin = Object.assign({}, out.margin, {l: 8, r: 8, t: 8, b: 8});
    var narrowLegend = {orientation: "h", x: 0, xanchor: "left", y: 1.02, yanchor: "bottom"};
    out.legend = Object.assign({}, out.legend, narrowLegend, {entrywidth: 0, entrywidthmode: "pixels"});
    // Side-by-side panels: stack them, each with the full width. Between them only the first
    // panel's tick labels and the second's title: a gap of about 70 px of a plot area about 130 px
    // shorter than the figure (its legend and margins).
    if (out.xaxis2 && out.yaxis2) {
      var titles = (out.annotations || []).filter(function (a) {
        return a.xref === "paper" && a.yref === "paper" && a.y >= 0.99;
      });
      out.height = Math.round((out.height || 450) * 1.2);
      var lower = 0.38, gap = 70 / (out.height - 130);
      out.xaxis = Object.assign({}, out.xaxis, {domain: [0, 1]});
      out.xaxis2 = Object.assign({}, out.xaxis2, {domain: [0, 1]});
      out.yaxis = Object.assign({}, out.yaxis, {domain: [lower + gap, 1]});
      out.yaxis2 = Object.assign({}, out.yaxis2, {domain: [0, lower]});
      titles.sort(function (a, b) { return a.x - b.x; });
      titles.forEach(function (a, i) {
        a.x = 0; a.xanchor = "left"; a.y = i === 0 ? 1 : lower; a.yanchor = "bottom";
      });
      out.legend.y = 1 + 28 / (out.height - 130);  // above the first panel's title
    }
    // Category labels: wrap long ones instead of letting them run into each other.
    ["x", "y"].forEach(function (axis) {
      var name = axis + "axis", cats = categories(data, axis);
      var horizontal = data.some(function (t) { return t.orientation === "h"; });
      if (!cats.length || (axis === "x") === horizontal) { return; }
      var limit = axis === "x" ? 12 : 20;
      var longest = Math.max.apply(null, cats.map(function (c) {
        return Math.max.apply(null, c.split("<br>").map(function (part) { return part.length; }));
      }));
      if (axis === "x" && cats.length * Math.min(longest, limit) * 7 > width * 0.85) {
        // Too many to sit side by side: one line each, turned upright.
        out.xaxis = Object.assign({}, out.xaxis, {tickangle: -90, automargin: true, tickmode: "array", tickvals: cats,
          ticktext: cats.map(function (c) { return c.replace(/<br>/g, " "); })});
        return;
      }
      if (longest <= limit) { return; }
      if (axis === "y") {
        // Wrapped labels of horizontal bars need the rows to be tall enough not to run into each other.
        var lines = Math.max.apply(null, cats.map(function (c) { return wrap(c, limit).split("<br>").length; }));
        out.height = Math.max(out.height || 450, cats.length * (lines * 14 + 8) + 260);
      }
      [name, name + "2"].forEach(function (key) {
        if (out[key] || key === name) {
          out[key] = Object.assign({}, out[key], {tickmode: "array", tickvals: cats, tickangle: 0,
            ticktext: cats.map(function (c) { return wrap(c, limit); }), automargin: true});
        }
      });
    });
    // Values printed beside bars and markers stay, shortened ("0.22 million" becomes "0.22 m"):
    // every row shows its value. courseFitLabels gives them the room they need.
    data.forEach(function (trace) {
      if (!labelled(trace)) { return; }
      trace.text = trace.text.map(function (t) { return String(t).replace(/ million\b/, " m"); });
    });
    // Colour bars go above the plot, across it.
    data.forEach(function (trace) {
      if (trace.colorbar || trace.type === "heatmap") {
        trace.colorbar = Object.assign({}, trace.colorbar, {orientation: "h", x: 0, xanchor: "left", y: 1.02,
          yanchor: "bottom", len: 1, thickness: 12, title: Object.assign({}, (trace.colorbar || {}).title, {side: "top"})});
      }
    });
    return out;
  };

  /* Draw `figure` ({data, layout}) into `plot` for the current screen, and again when the window
     crosses the narrow/wide boundary (decided by the viewport, not by the plot's own width, which
     the theme's padding changes). Returns the draw function. */
  window.courseDraw = function (plot, config, figure) {
    var narrow = null;
    function settings() {
      var out = Object.assign({}, config);
      if (window.courseIsTouch()) { out.displayModeBar = false; }
      return out;
    }
    function draw(fig) {
      figure = fig || figure;
      var width = plot.clientWidth || plot.parentNode.clientWidth;
      narrow = window.courseIsNarrow();
      var data = copy(figure.data);  // plotly.js writes into the objects it is given
      return Plotly.react(plot, data, window.courseLayout(data, figure.layout, width, narrow), settings())
        .then(window.courseFitLabels)
        .then(function (gd) { window.courseAfterDraw(plot); return gd; });
    }
    window.addEventListener("resize", function () {
      if (window.courseIsNarrow() !== narrow) { draw(); }
    });
    return draw;
  };

  /* After a draw: the plot's SVG is a picture of the values the summary and the table give as text,
     and the toolbar (for the mouse) is out of the tab order. */
  window.courseAfterDraw = function (plot) {
    Array.prototype.forEach.call(plot.querySelectorAll("svg.main-svg"), function (svg) {
      svg.setAttribute("aria-hidden", "true");
    });
    Array.prototype.forEach.call(plot.querySelectorAll(".modebar a, .modebar button"), function (button) {
      button.setAttribute("tabindex", "-1");
    });
    var figure = plot.closest("figure");
    var summary = figure && figure.querySelector(".figure-summary");
    if (summary) { summary.classList.add("course-sr-only"); }
    plot.classList.add("course-drawn");
  };

  window.courseFigure = function (uid) {
    var spec = JSON.parse(document.getElementById(uid + "-spec").textContent);
    var draw = window.courseDraw(document.getElementById(uid + "-plot"), spec.config, spec);
    return draw();
  };
})();

/* The static twin of an after_stalinism.display.twin.Explorer: switches between precomputed model runs
   with plotly.js when the reader moves a control. No kernel is involved. */
window.courseExplorer = function (uid) {
  "use strict";
  var root = document.getElementById(uid);
  var spec = JSON.parse(document.getElementById(uid + "-runs").textContent);
  var plot = document.getElementById(uid + "-plot");
  var title = document.getElementById(uid + "-title"), note = document.getElementById(uid + "-note");
  var summary = document.getElementById(uid + "-summary");
  var table = root.querySelector(".figure-data-table");
  var inputs = Array.prototype.slice.call(root.querySelectorAll(".explorer-controls input, .explorer-controls select"));
  var drawFigure = window.courseDraw(plot, spec.config, null);
  var runs = spec.runs, fetching = null;

  // Only the default run is in the page; every run is in a file fetched when first needed.
  function allRuns() {
    if (!spec.src) { return Promise.resolve(runs); }
    if (!fetching) {
      fetching = fetch(window.courseStatic + spec.src).then(function (response) {
        if (!response.ok) { throw new Error("explorer runs: " + response.status + " " + spec.src); }
        return response.json();
      }).then(function (all) { runs = all; return all; });
    }
    return fetching;
  }

  function currentKey() {
    return inputs.map(function (el) { return el.value; }).join("-");
  }

  function draw() {
    var key = currentKey();
    var run = runs.figures[key];
    if (!run) {
      if (runs.figures[spec.default] && Object.keys(runs.figures).length > 1) {
        return Promise.reject(new Error("explorer " + uid + " has no run " + key));
      }
      return allRuns().then(function (all) {
        if (!all.figures[key]) { throw new Error("explorer " + uid + " has no run " + key); }
        return draw();
      });
    }
    var layout = Object.assign({}, run.layout, {template: runs.template});
    title.innerHTML = run.title;  // HTML made safe by after_stalinism.display.webfigure
    note.innerHTML = run.note;
    if (summary && run.summary) { summary.textContent = run.summary; }
    if (table && run.table) { table.innerHTML = run.table; }
    return drawFigure({data: run.data, layout: layout}).then(function (gd) {
      plot.setAttribute("data-run", key);
      return gd;
    });
  }

  var form = root.querySelector(".explorer-controls");
  ["pointerdown", "focusin", "touchstart"].forEach(function (type) {
    form.addEventListener(type, function () { allRuns().catch(function (e) { console.error(e); }); },
                          {once: true, passive: true});
  });
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
  return draw();
};

/* The static Bialer scorecard builder (after_stalinism.course.explorers.ScorecardBuilder): the reader rates
   seven features and the browser redraws the chart. Same arithmetic as after_stalinism.course.models:
   index = sum of ratings / (4 * 7); the largest difference is the first feature, in Bialer's order,
   with the biggest absolute change. */
window.courseScorecard = function (uid) {
  "use strict";
  var spec = JSON.parse(document.getElementById(uid + "-spec").textContent);
  var plot = document.getElementById(uid + "-plot");
  var result = document.getElementById(uid + "-result");
  var selects = Array.prototype.slice.call(document.querySelectorAll("#" + uid + " select[data-feature]"));
  var presetSelect = document.getElementById(uid + "-preset");
  var title = document.getElementById(uid + "-title");
  var drawFigure = window.courseDraw(plot, spec.config, null);
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
    title.textContent = spec.title + ": " + summary;
    plot.setAttribute("data-run", mine.join("") + "|" + presetName);
    result.textContent = "Your index: " + mineIndex + " (" + presetName + ": " + presetIndex + "); " + summary + ".";
    // The folded table gives the same ratings as text, for keyboard and screen-reader users.
    document.getElementById(uid + "-preset-head").textContent = presetName;
    Array.prototype.forEach.call(document.querySelectorAll("#" + uid + "-data tbody tr"), function (row, i) {
      row.cells[1].textContent = mine[i];
      row.cells[2].textContent = preset[i];
    });
    return drawFigure(fig);
  }

  selects.concat([presetSelect]).forEach(function (el) { el.addEventListener("input", draw); });
  return draw();
};
