// Draws the console's charts with uPlot (loaded before this file) from data islands:
//   <div class="chart" data-chart="ID" data-title="..."></div>
//   <script type="application/json" id="ID">{"x":[unix seconds...],"series":[{"label":"...","values":[...]}]}</script>
// Without script the page's table of the same figures stands in for the chart.
for (const element of document.querySelectorAll('[data-chart]')) {
  const island = document.getElementById(element.dataset.chart)
  if (!island || typeof uPlot === 'undefined') continue
  const data = JSON.parse(island.textContent)
  const colours = ['#0969da', '#cf222e', '#1a7f37', '#9a6700']
  const options = {
    title: element.dataset.title,
    width: Math.min(element.clientWidth || 800, 1000),
    height: 240,
    series: [
      {},
      ...data.series.map((series, index) => ({ label: series.label, stroke: colours[index % colours.length] })),
    ],
  }
  new uPlot(options, [data.x, ...data.series.map((series) => series.values)], element)
}
