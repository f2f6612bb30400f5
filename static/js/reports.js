// Reports page: draws the charts from the figures in #report-series (a json_script), when
// Chart.js is served. Clicking a bar opens the conversations it counts; without Chart.js
// (or JavaScript) the tables under each chart hold the same figures and links.
(function () {
  "use strict";

  function draw() {
    var source = document.getElementById("report-series");
    if (!source || typeof window.Chart === "undefined") return;
    var series = JSON.parse(source.textContent);
    var colours = ["#2563eb", "#16a34a", "#f59e0b", "#9333ea"];

    function chart(name, datasets, links, yTitle, tooltipLabel) {
      var canvas = document.querySelector('canvas[data-chart="' + name + '"]');
      if (!canvas) return;
      canvas.hidden = false;
      var table = canvas.closest(".chart-block").querySelector("details.chart-table");
      if (table) table.open = false;
      new window.Chart(canvas, {
        type: "bar",
        data: { labels: series.labels, datasets: datasets },
        options: {
          maintainAspectRatio: false,
          animation: false,
          scales: {
            x: { stacked: true },
            y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: yTitle } },
          },
          plugins: { tooltip: tooltipLabel ? { callbacks: { label: tooltipLabel } } : {} },
          onHover: function (event, elements) {
            event.native.target.style.cursor = elements.length ? "pointer" : "default";
          },
          onClick: function (event, elements) {
            if (!elements.length) return;
            var hit = elements[0];
            var url = links(hit.datasetIndex, hit.index);
            if (url) window.location.href = url;
          },
        },
      });
      canvas.dataset.drawn = "true";
    }

    chart(
      "volume",
      series.volume.map(function (ch, i) {
        return { label: ch.label, data: ch.data, backgroundColor: colours[i % colours.length] };
      }),
      function (dataset, index) { return series.volume[dataset].links[index]; },
      "Conversations"
    );
    chart(
      "frt",
      [{ label: "Median first response (minutes)", data: series.frt.data, backgroundColor: "#0f766e" }],
      function (dataset, index) { return series.frt.data[index] === null ? "" : series.frt.links[index]; },
      "Minutes",
      function (item) { return "Median first response: " + series.frt.shown[item.dataIndex]; }
    );
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
