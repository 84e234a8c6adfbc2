// csmetrics pages: charts (plotly.js served by the app), sortable tables, filters, lazy detail.
(function () {
  "use strict";

  var COLORS = ["#2f6fde", "#2f855a", "#b7791f", "#9b51e0", "#c0392b", "#0891b2"];

  function axisFormat(unit) {
    if (unit === "money") return { tickformat: "$~s" };
    if (unit === "ratio") return { tickformat: ".0%" };
    return { tickformat: "~s" };
  }

  function drawChart(el) {
    if (!window.Plotly) return;
    var spec = JSON.parse(el.getAttribute("data-chart"));
    var scale = spec.unit === "nps" ? 100 : 1;
    var traces = spec.series.map(function (s, i) {
      var y = s.y.map(function (v) { return v === null ? null : v * scale; });
      var trace = { x: spec.x, y: y, name: s.name, marker: { color: COLORS[i % COLORS.length] } };
      if (spec.kind === "bar") { trace.type = "bar"; }
      else { trace.type = "scatter"; trace.mode = "lines+markers"; trace.line = { width: 2 }; }
      return trace;
    });
    var layout = {
      margin: { l: 56, r: 12, t: 8, b: 36 },
      showlegend: spec.series.length > 1,
      legend: { orientation: "h", y: -0.2 },
      barmode: "relative",
      yaxis: Object.assign({ gridcolor: "#eef0f3", zerolinecolor: "#d0d5dd" }, axisFormat(spec.unit)),
      xaxis: { type: "category" },
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      font: { size: 11 }
    };
    window.Plotly.newPlot(el, traces, layout, { displayModeBar: false, responsive: true });
  }

  function sortTable(th) {
    var table = th.closest("table");
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var ascending = th.getAttribute("data-order") !== "asc";
    th.parentNode.querySelectorAll("th").forEach(function (h) { h.removeAttribute("data-order"); });
    th.setAttribute("data-order", ascending ? "asc" : "desc");
    function key(row) {
      var cell = row.cells[index];
      var raw = cell ? (cell.getAttribute("data-sort") || cell.textContent.trim()) : "";
      return /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(raw) ? parseFloat(raw) : raw.toLowerCase();
    }
    rows.sort(function (a, b) {
      var x = key(a), y = key(b);
      if (x === y) return 0;
      if (x === "") return 1;
      if (y === "") return -1;
      return (x < y ? -1 : 1) * (ascending ? 1 : -1);
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  function healthDetail(box) {
    fetch(box.getAttribute("data-fetch"), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var status = box.querySelector(".asof");
        if (!data.available) { status.textContent = data.note || "not available"; return; }
        status.textContent = "as of " + data.as_of + " · model " + data.model + " · score " +
          (data.score === null ? "—" : data.score.toFixed(1)) + " (" + data.band + ")";
        var table = document.createElement("table");
        table.className = "data";
        var head = "<thead><tr><th>Measure</th><th>Source</th><th>Value</th><th>Points</th><th>Weight</th><th>Contribution</th><th>Previous</th><th>Note</th></tr></thead>";
        var rows = data.measures.map(function (m) {
          function n(v, d) { return v === null || v === undefined ? "—" : Number(v).toFixed(d); }
          return "<tr><td></td><td></td><td></td><td class=num>" + n(m.points, 0) + "</td><td class=num>" +
            n(m.weight, 0) + "</td><td class=num>" + n(m.contribution, 1) + "</td><td></td><td></td></tr>";
        });
        table.innerHTML = head + "<tbody>" + rows.join("") + "</tbody>";
        data.measures.forEach(function (m, i) {
          var cells = table.tBodies[0].rows[i].cells;
          cells[0].textContent = m.label; cells[1].textContent = m.source;
          cells[2].textContent = m.value; cells[6].textContent = m.previous || ""; cells[7].textContent = m.note || "";
        });
        var why = document.createElement("p");
        why.className = "note";
        why.textContent = data.why;
        box.appendChild(why);
        box.appendChild(table);
      })
      .catch(function () { box.querySelector(".asof").textContent = "could not load"; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".chart[data-chart]").forEach(drawChart);
    document.querySelectorAll("table.sortable th").forEach(function (th) {
      th.addEventListener("click", function () { sortTable(th); });
    });
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
    document.querySelectorAll("select[data-navigate]").forEach(function (select) {
      select.addEventListener("change", function () { if (select.value) window.location = select.value; });
    });
    document.querySelectorAll("[data-fetch]").forEach(healthDetail);
  });
})();
