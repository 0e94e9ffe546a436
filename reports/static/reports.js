// The charts of the sales dashboard, drawn with Apache ECharts (served from the site's own vendor folder).
// Each chart's data is in its element's data-chart attribute (the Content-Security-Policy allows no inline
// script): {kind: "bar" or "line", horizontal, stack, percent, mark, locale, title, categories: [...],
// right: {percent, max} (a second value axis on the right), series: [{name, type: "bar" or "line" (the
// chart's kind by default), axis: 1 (drawn against the right axis), data: [{value, text, url} or null]}]}.
// The words come translated from the server; a click on a bar or a point opens the rows behind it (the
// point's url).
(function () {
  "use strict";

  // a month picked in a filter form clears the range of days that would otherwise win over it
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.dataset || !input.dataset.clears || !input.form || !input.value) { return; }
    input.dataset.clears.split(" ").forEach(function (name) {
      var other = input.form.elements[name];
      if (other) { other.value = ""; }
    });
  });

  if (typeof window.echarts === "undefined") { return; }
  var PALETTE = ["#1f4e79", "#e07b39", "#3a9d5d", "#c0392b", "#7d5ba6", "#2a9fb0", "#b5893b", "#6b7b8c"];

  function escape(text) { return window.echarts.format.encodeHTML(String(text === undefined ? "" : text)); }

  function compact(value) {
    var size = Math.abs(value);
    if (size >= 1e8) { return (value / 1e8).toFixed(1).replace(/\.0$/, "") + "e8"; }
    if (size >= 1e6) { return (value / 1e6).toFixed(1).replace(/\.0$/, "") + "M"; }
    if (size >= 1e3) { return (value / 1e3).toFixed(1).replace(/\.0$/, "") + "k"; }
    return String(value);
  }

  function option(spec) {
    var narrow = window.innerWidth < 640;
    var categories = {type: "category", data: spec.categories, axisTick: {alignWithLabel: true},
                      axisLabel: {hideOverlap: true, interval: spec.horizontal ? 0 : "auto",
                                  rotate: !spec.horizontal && narrow && spec.categories.length > 6 ? 45 : 0,
                                  width: spec.horizontal ? (narrow ? 80 : 120) : undefined, overflow: "truncate"}};
    var values = {type: "value", axisLabel: {formatter: spec.percent ? "{value}%" : compact}};
    if (spec.right && !spec.horizontal) {
      values = [values, {type: "value", max: spec.right.max, splitLine: {show: false},
                         axisLabel: {formatter: spec.right.percent ? "{value}%" : compact}}];
    }
    var series = spec.series.map(function (line, index) {
      var type = line.type || (spec.kind === "line" ? "line" : "bar");
      var drawn = {
        name: line.name, type: type, cursor: "pointer", barMaxWidth: 48, stack: spec.stack ? "total" : undefined,
        yAxisIndex: spec.right && !spec.horizontal ? (line.axis || 0) : undefined,
        symbolSize: type === "line" ? 8 : undefined, connectNulls: false,
        emphasis: {focus: spec.stack ? "series" : "none"},
        data: line.data.map(function (point) {
          return point ? {value: Number(point.value), text: point.text, url: point.url} : null;
        })
      };
      if (spec.horizontal) { drawn.label = {show: true, position: "right", formatter: function (p) { return p.data ? p.data.text : ""; }}; }
      if (spec.mark && index === 0) {
        drawn.markLine = {silent: true, symbol: "none", data: [spec.horizontal ? {xAxis: spec.mark} : {yAxis: spec.mark}],
                          label: {formatter: spec.mark + (spec.percent ? "%" : "")}, lineStyle: {type: "dashed"}};
      }
      return drawn;
    });
    return {
      color: PALETTE,
      aria: {enabled: true, label: {description: spec.title}},
      animation: false,
      tooltip: {trigger: "item", confine: true, formatter: function (p) {
        if (!p.data) { return ""; }
        var head = spec.series.length > 1 ? escape(p.seriesName) + "<br>" : "";
        return head + escape(p.name) + ": <strong>" + escape(p.data.text) + "</strong>";
      }},
      legend: spec.series.length > 1 ? {type: "scroll", bottom: 0} : {show: false},
      grid: {left: 8, right: spec.horizontal ? 56 : 16, top: 16, bottom: spec.series.length > 1 ? 36 : 8,
             containLabel: true},
      xAxis: spec.horizontal ? values : categories,
      yAxis: spec.horizontal ? Object.assign({inverse: true}, categories) : values,
      series: series
    };
  }

  function draw(element) {
    var spec = JSON.parse(element.dataset.chart);
    var chart = window.echarts.init(element, null, {renderer: "svg", locale: spec.locale || "EN"});
    chart.setOption(option(spec));
    chart.on("click", function (params) {
      if (params.data && params.data.url) { window.location.assign(params.data.url); }
    });
    window.addEventListener("resize", function () { chart.resize(); });
    element.dataset.drawn = "true";
  }

  document.querySelectorAll("[data-chart]").forEach(draw);
})();
