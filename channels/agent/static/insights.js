// The insights page's charts: read the figures the server embedded (#insights-data, the same
// JSON as /agent/insights.json) and draw them with the vendored Chart.js.  The tables under each
// chart carry the same figures for readers without JavaScript or a screen.
(function () {
  "use strict";
  var node = document.getElementById("insights-data");
  if (!node || typeof window.Chart === "undefined") { return; }
  var data = JSON.parse(node.textContent);
  var palette = ["#1d5fa8", "#e07b00", "#2e8540", "#b3261e", "#6a3fa0", "#008080", "#8c6d1f",
                 "#c2185b", "#455a64", "#7cb342"];
  var drawn = 0;

  function chart(id, type, labels, datasets, extra) {
    var canvas = document.getElementById(id);
    if (!canvas) { return; }
    var options = { animation: false, responsive: true, maintainAspectRatio: false,
                    plugins: { legend: { display: datasets.length > 1 || type === "doughnut" } } };
    if (type !== "doughnut") {  // counts: whole numbers from zero on the value axis
      var axis = (extra && extra.indexAxis === "y") ? "x" : "y";
      options.scales = {};
      options.scales[axis] = { beginAtZero: true, ticks: { precision: 0 } };
    }
    Object.keys(extra || {}).forEach(function (k) { options[k] = extra[k]; });
    new window.Chart(canvas, { type: type, data: { labels: labels, datasets: datasets },
                               options: options });
    canvas.setAttribute("data-drawn", "1");
    drawn += 1;
  }
  function pick(rows, key) { return rows.map(function (r) { return r[key]; }); }
  function one(label, values, color) {
    return { label: label, data: values, backgroundColor: color || palette[0],
             borderColor: color || palette[0] };
  }
  function pie(values) {
    return { label: "Questions", data: values, backgroundColor: palette.slice(0, values.length) };
  }

  var q = data.questions;
  chart("chart-days", "line", pick(q.by_day, "day"),
        [one("Questions", pick(q.by_day, "count"))]);
  chart("chart-procedures", "bar", pick(q.by_procedure, "procedure").slice(0, 15),
        [one("Questions", pick(q.by_procedure, "count").slice(0, 15))], { indexAxis: "y" });
  chart("chart-channels", "doughnut", pick(q.by_channel, "channel"),
        [pie(pick(q.by_channel, "count"))]);
  chart("chart-languages", "doughnut", pick(q.by_language, "language"),
        [pie(pick(q.by_language, "count"))]);
  var funnel = data.ussd_funnel;
  chart("chart-funnel", "bar", funnel.map(function (r) {
    return r.eservice + " · " + (r.step_no ? r.step_no + ". " : "") + r.step;
  }), [one("Atteinte", pick(funnel, "reached"), palette[0]),
       one("Abandon", pick(funnel, "abandoned"), palette[3])]);
  chart("chart-handoffs", "bar", pick(data.handoffs.by_reason, "reason"),
        [one("Passages", pick(data.handoffs.by_reason, "count"), palette[1])]);
  chart("chart-sms", "bar", pick(data.sms_segments_per_day, "day"),
        [one("Parts facturées", pick(data.sms_segments_per_day, "segments"), palette[2])]);
  document.body.setAttribute("data-charts", String(drawn));

  var period = document.getElementById("days");
  if (period && period.form) {
    period.addEventListener("change", function () { period.form.submit(); });
  }
})();
