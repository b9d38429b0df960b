// Draws the dashboard charts with Chart.js (served from this origin at /vendor/chart.js).
// Progressive enhancement: the figures are already on the page as tables; without JavaScript or
// Chart.js nothing is lost. Data comes from the data-charts attribute (no inline script, CSP-safe).
(function () {
  'use strict';
  var root = document.getElementById('dashboard-charts');
  if (!root || typeof window.Chart === 'undefined') return;
  var charts;
  try {
    charts = JSON.parse(root.getAttribute('data-charts') || '[]');
  } catch (e) {
    return;
  }
  var palette = ['#0b5cad', '#f59e0b', '#1e7e34', '#b42318', '#6b21a8', '#0e7490', '#9a6700', '#52606d'];
  var reduceMotion = window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches;
  charts.forEach(function (c) {
    var box = root.querySelector('[data-chart-for="' + c.id + '"]');
    if (!box || !c.labels || c.labels.length === 0) return;
    var canvas = document.createElement('canvas');
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', c.title);
    box.appendChild(canvas);
    var datasets = c.series.map(function (s, i) {
      var colour = palette[i % palette.length];
      return {
        label: s.label,
        data: s.values,
        backgroundColor: c.kind === 'doughnut' ? palette.slice(0, s.values.length) : colour,
        borderColor: colour,
        fill: false,
        tension: 0.2,
      };
    });
    new window.Chart(canvas, {
      type: c.kind,
      data: { labels: c.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: reduceMotion ? false : { duration: 300 },
        plugins: { legend: { display: c.kind === 'doughnut' || datasets.length > 1 } },
        scales: c.kind === 'doughnut' ? {} : { y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
    box.classList.add('has-chart');
  });
})();
