/*
 * demonitor charts: draws every element carrying data-chart="<kind>" and
 * data-source="<id of a <script type="application/json"> element>" with ECharts.
 *
 * Plain ES2017, no build step. Load after vendor/echarts.min.js:
 *   <script src="/static/vendor/echarts.min.js"></script>
 *   <script src="/static/js/charts.js"></script>
 *
 * The pages run under "default-src 'self'; script-src 'self'; style-src 'self'", so this file
 * never builds HTML with style attributes: tooltips are drawn on the canvas (renderMode
 * 'richText') and all sizing comes from CSS classes on the chart containers.
 *
 * Kinds: gauge, trend, bar, pie, tilemap (JSON shapes documented at each builder).
 * Each element gets data-rendered="true" once drawn (also when it only shows "No data" or an
 * error); <body> gets data-charts-ready="true" when every chart on the page is done.
 * An element whose data could not be read also gets data-chart-error="<reason>".
 */
(function () {
  'use strict';

  // Restrained report palette: blues and teals; status colours are kept for status only.
  const PALETTE = ['#1f4e79', '#2a9d8f', '#5b8fc7', '#76b7b2', '#3d5a80', '#98c1d9', '#1b6f6a', '#8d99ae'];
  const STATUS = { bad: '#c0392b', warn: '#d68910', good: '#1e8449' };
  const TEXT = '#1f2937';
  const MUTED = '#6b7280';
  const AXIS = '#9ca3af';
  const SPLIT = '#e5e7eb';
  const TARGET = '#b03a2e';
  const FONT = '"PingFang SC","Microsoft YaHei","Noto Sans CJK SC","Source Han Sans SC",sans-serif';

  const STRINGS = {
    'zh-CN': { noData: '暂无数据', target: '目标', projection: '预测', total: '合计', error: '图表数据无法读取' },
    en: { noData: 'No data', target: 'Target', projection: 'Projection', total: 'Total', error: 'Chart data could not be read' },
  };

  const lang = (document.documentElement.lang || 'zh-CN').toLowerCase().indexOf('en') === 0 ? 'en' : 'zh-CN';
  const T = STRINGS[lang];
  const COLON = lang === 'en' ? ': ' : '：';
  const paren = function (s) { return lang === 'en' ? ' (' + s + ')' : '（' + s + '）'; };
  const reducedMotion = !!(window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches);
  const fmt1 = new Intl.NumberFormat(lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 });

  /* ---------- small helpers ---------- */

  function isNum(v) {
    return typeof v === 'number' && isFinite(v);
  }

  function num(v) {
    return isNum(v) ? fmt1.format(v) : '—';
  }

  // "11.6%", "123.4亿元", "123.4 bn yuan": no space before % or a CJK unit.
  function withUnit(v, unit) {
    if (!isNum(v)) return '—';
    if (!unit) return num(v);
    const tight = unit === '%' || /^[\u2E80-\u9FFF\uFF00-\uFFEF]/.test(unit);
    return num(v) + (tight ? '' : ' ') + unit;
  }

  // Rich-text strings treat {, } and | as markup.
  function rt(s) {
    return String(s == null ? '' : s).replace(/[{}|]/g, ' ');
  }

  function niceCeil(x) {
    if (!(x > 0)) return x;
    const mag = Math.pow(10, Math.floor(Math.log10(x)));
    const step = mag / 2;
    return Math.ceil(x / step) * step;
  }

  function toNums(values) {
    return (values || []).map(function (v) { return isNum(v) ? v : null; });
  }

  function allNull(arr) {
    return !arr.some(isNum);
  }

  function base() {
    return {
      color: PALETTE,
      animation: !reducedMotion,
      textStyle: { fontFamily: FONT, color: TEXT },
      aria: { enabled: true },
    };
  }

  function tooltip(extra) {
    return Object.assign({
      renderMode: 'richText', // canvas tooltip: no HTML with inline styles (CSP)
      confine: true,
      backgroundColor: 'rgba(255,255,255,0.96)',
      borderColor: '#cbd5e1',
      borderWidth: 1,
      textStyle: { color: TEXT, fontSize: 12, fontFamily: FONT },
    }, extra || {});
  }

  function messageOption(text, color) {
    return {
      title: {
        text: text,
        left: 'center',
        top: 'middle',
        textStyle: { color: color || MUTED, fontSize: 14, fontWeight: 'normal', fontFamily: FONT },
      },
      series: [],
    };
  }

  function legend(names) {
    return names.length > 1 ? { top: 0, left: 'center', type: 'scroll', textStyle: { color: TEXT }, itemWidth: 18, itemHeight: 10 } : { show: false };
  }

  function valueAxisLabel() {
    return { color: MUTED, formatter: function (v) { return num(v).replace(/\.0$/, ''); } };
  }

  // A dashed target line; axisKey 'yAxis' draws it horizontally, 'xAxis' vertically.
  function targetMarkLine(target, label, unit, axisKey) {
    const d = { label: { formatter: rt(label || T.target) + ' ' + withUnit(target, unit) } };
    d[axisKey] = target;
    return {
      silent: true,
      symbol: 'none',
      lineStyle: { color: TARGET, type: 'dashed', width: 1.5 },
      label: { color: TARGET, position: axisKey === 'xAxis' ? 'end' : 'insideEndTop', fontSize: 12 },
      data: [d],
    };
  }

  /* ---------- gauge ----------
   * {"value": 11.6, "target": 13.5, "max": 20, "unit": "%", "label": "核心产业增加值占GDP比重"}
   * target and max may be null; max defaults to a round number above value and target.
   */
  function gauge(d, el) {
    const value = d.value;
    if (!isNum(value)) return messageOption(T.noData);
    const target = isNum(d.target) ? d.target : null;
    const unit = d.unit || '';
    let max = isNum(d.max) && d.max > 0 ? d.max : niceCeil(Math.max(value, target || 0) * 1.25) || 1;
    if (value > max) max = niceCeil(value);
    const stops = target !== null && target > 0
      ? [[Math.min(0.8 * target / max, 1), STATUS.bad], [Math.min(target / max, 1), STATUS.warn], [1, STATUS.good]]
      : [[1, PALETTE[0]]];
    // Scale the text with the dial so a .chart-small gauge stays legible and uncluttered.
    const radius = 0.92 * Math.min(el.clientWidth || 300, el.clientHeight || 300) / 2;
    const big = Math.max(15, Math.min(26, Math.round(radius * 0.17)));
    const common = { type: 'gauge', min: 0, max: max, startAngle: 210, endAngle: -30, radius: '92%', center: ['50%', '55%'] };
    const series = [Object.assign({}, common, {
      name: d.label || '',
      splitNumber: 4,
      axisLine: { lineStyle: { width: 14, color: stops } },
      axisTick: { distance: -14, length: 4, lineStyle: { color: '#fff', width: 1 } },
      splitLine: { distance: -14, length: 14, lineStyle: { color: '#fff', width: 2 } },
      axisLabel: { distance: 20, color: MUTED, fontSize: 11, formatter: function (v) { return num(v).replace(/\.0$/, ''); } },
      pointer: { length: '62%', width: 5, itemStyle: { color: '#334155' } },
      anchor: { show: true, size: 10, itemStyle: { color: '#334155' } },
      title: { show: !!d.label, offsetCenter: [0, '78%'], color: MUTED, fontSize: 12 },
      detail: {
        valueAnimation: !reducedMotion,
        offsetCenter: [0, big > 18 ? '42%' : '50%'],
        formatter: function (v) {
          const main = '{v|' + withUnit(v, unit) + '}';
          return target === null ? main : main + '\n{t|' + T.target + ' ' + withUnit(target, unit) + '}';
        },
        rich: {
          v: { fontSize: big, fontWeight: 'bold', color: TEXT, lineHeight: big + 6, fontFamily: FONT },
          t: { fontSize: big > 18 ? 12 : 11, color: MUTED, lineHeight: big > 18 ? 18 : 15, fontFamily: FONT },
        },
      },
      data: [{ value: value, name: rt(d.label || '') }],
    })];
    if (target !== null) {
      // A second, axis-less gauge whose only visible part is a tick across the band at the target.
      series.push(Object.assign({}, common, {
        name: T.target,
        silent: true,
        z: 5,
        axisLine: { show: false },
        axisTick: { show: false },
        splitLine: { show: false },
        axisLabel: { show: false },
        pointer: { icon: 'rect', length: '18%', width: 4, offsetCenter: [0, '-86%'], itemStyle: { color: '#111827' } },
        anchor: { show: false },
        title: { show: false },
        detail: { show: false },
        data: [{ value: Math.min(target, max) }],
      }));
    }
    return Object.assign(base(), { series: series });
  }

  /* ---------- trend ----------
   * {"periods": ["2020", ...], "series": [{"name": "...", "values": [8.6, null, ...]}],
   *  "target": {"value": 13.5, "label": "2025年目标"} | null,
   *  "projection": {"periods": [...], "values": [...], "name": "..."} | null, "unit": "%"}
   * The projection continues the first series from its last non-null value.
   */
  function trend(d) {
    const periods = (d.periods || []).map(String);
    const unit = d.unit || '';
    const series = (d.series || []).map(function (s) {
      return { name: s.name || '', values: toNums(s.values).slice(0, periods.length) };
    });
    const proj = d.projection && (d.projection.periods || []).length ? d.projection : null;
    const target = d.target && isNum(d.target.value) ? d.target : null;
    const hasActual = series.some(function (s) { return !allNull(s.values); });
    const hasProj = proj && !allNull(toNums(proj.values));
    if (!periods.length && !hasProj || !hasActual && !hasProj) return messageOption(T.noData);

    const axis = periods.slice();
    if (proj) {
      proj.periods.map(String).forEach(function (p) { if (axis.indexOf(p) < 0) axis.push(p); });
    }
    const out = series.map(function (s, i) {
      const data = axis.map(function (p, k) { return k < s.values.length ? s.values[k] : null; });
      return {
        type: 'line',
        name: rt(s.name),
        data: data,
        connectNulls: false,
        showSymbol: true,
        symbol: 'circle',
        symbolSize: 6,
        lineStyle: { width: 2.5 },
        emphasis: { focus: 'series' },
      };
    });
    let joinIndex = -1;
    if (hasProj) {
      const pdata = axis.map(function () { return null; });
      proj.periods.map(String).forEach(function (p, k) {
        const v = proj.values[k];
        pdata[axis.indexOf(p)] = isNum(v) ? v : null;
      });
      // Join the dashed line to the last actual point of the first series.
      const first = out.length ? out[0].data : [];
      let last = -1;
      for (let k = 0; k < first.length; k++) if (isNum(first[k])) last = k;
      if (last >= 0 && pdata[last] === null && pdata.slice(0, last).every(function (v) { return v === null; })) {
        pdata[last] = first[last];
        joinIndex = last;
      }
      out.push({
        type: 'line',
        name: rt(proj.name || T.projection),
        data: pdata,
        connectNulls: false,
        symbol: 'emptyCircle',
        symbolSize: 6,
        lineStyle: { width: 2, type: 'dashed' },
        itemStyle: { color: PALETTE[0] }, // same colour as the series it continues
        z: 1,
      });
    }
    if (target) out[0].markLine = targetMarkLine(target.value, target.label, unit, 'yAxis');
    const names = out.map(function (s) { return s.name; });

    return Object.assign(base(), {
      legend: legend(names),
      grid: { left: 12, right: 28, top: names.length > 1 ? 40 : 28, bottom: 8, containLabel: true },
      tooltip: tooltip({
        trigger: 'axis',
        formatter: function (params) {
          const list = Array.isArray(params) ? params : [params];
          if (!list.length) return '';
          const lines = [rt(list[0].axisValueLabel || list[0].name)];
          list.forEach(function (p) {
            // The projection repeats the last actual value at the join; show it once.
            if (joinIndex >= 0 && p.seriesIndex === out.length - 1 && p.dataIndex === joinIndex) return;
            if (!isNum(p.value)) return;
            lines.push(rt(p.seriesName) + COLON + withUnit(p.value, unit));
          });
          return lines.join('\n');
        },
      }),
      xAxis: {
        type: 'category',
        data: axis,
        boundaryGap: false,
        axisLine: { lineStyle: { color: AXIS } },
        axisTick: { alignWithLabel: true },
        axisLabel: { color: MUTED, hideOverlap: true },
      },
      yAxis: {
        type: 'value',
        name: unit,
        nameTextStyle: { color: MUTED, align: 'right' },
        axisLabel: valueAxisLabel(),
        splitLine: { lineStyle: { color: SPLIT } },
        // markLine values do not widen the axis by themselves.
        max: target ? function (e) { return e.max >= target.value ? null : niceCeil(target.value * 1.1); } : null,
      },
      series: out,
    });
  }

  /* ---------- bar ----------
   * {"categories": ["海陵区", ...], "series": [{"name": "...", "values": [...]}], "unit": "亿元",
   *  "horizontal": false, "target": number | null}
   */
  function bar(d) {
    const cats = (d.categories || []).map(String);
    const unit = d.unit || '';
    const horizontal = !!d.horizontal;
    const target = isNum(d.target) ? d.target : null;
    const series = (d.series || []).map(function (s) {
      return { name: s.name || '', values: toNums(s.values).slice(0, cats.length) };
    });
    if (!cats.length || !series.some(function (s) { return !allNull(s.values); })) return messageOption(T.noData);

    const showLabels = cats.length * series.length <= 14;
    const out = series.map(function (s, i) {
      const b = {
        type: 'bar',
        name: rt(s.name),
        data: s.values,
        barMaxWidth: 36,
        barGap: '15%',
        itemStyle: { borderRadius: horizontal ? [0, 2, 2, 0] : [2, 2, 0, 0] },
        label: {
          show: showLabels,
          position: horizontal ? 'right' : 'top',
          color: MUTED,
          fontSize: 11,
          formatter: function (p) { return isNum(p.value) ? num(p.value) : ''; },
        },
        emphasis: { focus: 'series' },
      };
      if (i === 0 && target !== null) {
        b.markLine = targetMarkLine(target, null, unit, horizontal ? 'xAxis' : 'yAxis');
        // The category axis is inverted when horizontal, so the line's start is at the top.
        if (horizontal) b.markLine.label.position = 'start';
      }
      return b;
    });
    const names = out.map(function (s) { return s.name; });
    const catAxis = {
      type: 'category',
      data: cats,
      inverse: horizontal, // first category on top
      axisLine: { lineStyle: { color: AXIS } },
      axisTick: { show: false },
      axisLabel: { color: TEXT, interval: 0, hideOverlap: !horizontal, rotate: !horizontal && cats.length > 8 ? 30 : 0 },
    };
    const valAxis = {
      type: 'value',
      name: unit,
      nameTextStyle: { color: MUTED, align: horizontal ? 'center' : 'right' },
      axisLabel: valueAxisLabel(),
      splitLine: { lineStyle: { color: SPLIT } },
      max: target !== null ? function (e) { return e.max >= target ? null : niceCeil(target * 1.1); } : null,
    };
    return Object.assign(base(), {
      legend: legend(names),
      grid: { left: 12, right: horizontal ? 48 : 20, top: names.length > 1 ? 40 : 28, bottom: 8, containLabel: true },
      tooltip: tooltip({
        trigger: 'axis',
        axisPointer: { type: 'shadow' },
        formatter: function (params) {
          const list = Array.isArray(params) ? params : [params];
          if (!list.length) return '';
          const lines = [rt(list[0].axisValueLabel || list[0].name)];
          list.forEach(function (p) { lines.push(rt(p.seriesName) + COLON + withUnit(p.value, unit)); });
          return lines.join('\n');
        },
      }),
      xAxis: horizontal ? valAxis : catAxis,
      yAxis: horizontal ? catAxis : valAxis,
      series: out,
    });
  }

  /* ---------- pie (ring) ----------
   * {"items": [{"name": "数字产品制造业", "value": 123.4}], "unit": "亿元"}
   */
  function pie(d) {
    const unit = d.unit || '';
    const items = (d.items || []).filter(function (it) { return isNum(it.value) && it.value > 0; });
    if (!items.length) return messageOption(T.noData);
    // The exact total when given: rounded parts need not add up to it.
    const total = typeof d.total === 'number'
      ? d.total
      : items.reduce(function (a, it) { return a + it.value; }, 0);
    const detail = function (p) {
      return withUnit(p.value, unit) + ' (' + fmt1.format(p.percent) + '%)';
    };
    return Object.assign(base(), {
      tooltip: tooltip({ trigger: 'item', formatter: function (p) { return rt(p.name) + ' ' + detail(p); } }),
      title: {
        text: withUnit(total, unit),
        subtext: T.total,
        left: 'center',
        top: 'middle',
        itemGap: 4,
        textStyle: { fontSize: 16, fontWeight: 'bold', color: TEXT, fontFamily: FONT },
        subtextStyle: { fontSize: 12, color: MUTED, fontFamily: FONT },
      },
      series: [{
        type: 'pie',
        radius: ['42%', '64%'],
        center: ['50%', '50%'],
        avoidLabelOverlap: true,
        itemStyle: { borderColor: '#fff', borderWidth: 2 },
        // "name value unit (percent%)", the name on its own line so long labels are not cut off.
        label: {
          formatter: function (p) { return '{n|' + rt(p.name) + '}\n{v|' + detail(p) + '}'; },
          rich: {
            n: { color: TEXT, fontSize: 12, lineHeight: 17, fontFamily: FONT },
            v: { color: MUTED, fontSize: 11, lineHeight: 15, fontFamily: FONT },
          },
        },
        labelLine: { length: 10, length2: 12, lineStyle: { color: AXIS } },
        labelLayout: { hideOverlap: true },
        data: items.map(function (it) { return { name: rt(it.name), value: it.value }; }),
      }],
    });
  }

  /* ---------- tilemap (cartogram) ----------
   * {"tiles": [{"code": "321202", "name": "海陵区", "x": 1, "y": 2, "value": 12.3,
   *             "href": "/districts/321202"}], "unit": "%", "label": "..."}
   * x grows rightward, y downward (the y axis is inverted). value may be null (grey tile).
   * Clicking a tile with a same-origin href navigates there.
   */
  const TILE_TOP = 28;
  const tileDims = new WeakMap(); // element -> {cols, rows} of a drawn tile map, for resizing
  const TILE_BOTTOM = 56;

  function tileGrid(el, cols, rows) {
    const w = Math.max(el.clientWidth, 100);
    const h = Math.max(el.clientHeight, 120);
    const cell = Math.max(20, Math.floor(Math.min((w - 16) / cols, (h - TILE_TOP - TILE_BOTTOM) / rows)));
    return {
      left: Math.round((w - cell * cols) / 2),
      top: TILE_TOP + Math.max(0, Math.round((h - TILE_TOP - TILE_BOTTOM - cell * rows) / 2)),
      width: cell * cols,
      height: cell * rows,
      cell: cell,
    };
  }

  function tilemap(d, el) {
    const unit = d.unit || '';
    const tiles = (d.tiles || []).filter(function (t) { return isNum(t.x) && isNum(t.y); });
    if (!tiles.length) return messageOption(T.noData);
    const xs = tiles.map(function (t) { return t.x; });
    const ys = tiles.map(function (t) { return t.y; });
    const minX = Math.min.apply(null, xs), minY = Math.min.apply(null, ys);
    const cols = Math.max.apply(null, xs) - minX + 1;
    const rows = Math.max.apply(null, ys) - minY + 1;
    const vals = tiles.map(function (t) { return t.value; }).filter(isNum);
    let vmin = vals.length ? Math.min.apply(null, vals) : 0;
    let vmax = vals.length ? Math.max.apply(null, vals) : 1;
    if (vmin === vmax) { vmin -= 1; vmax += 1; }
    const ramp = ['#dbe9f6', '#7fb3d5', '#2e6ca4', '#163e6b'];
    tileDims.set(el, { cols: cols, rows: rows });
    const g = tileGrid(el, cols, rows);
    const fontSize = g.cell < 56 ? 10 : 12;

    const item = function (t) {
      const dark = isNum(t.value) && (t.value - vmin) / (vmax - vmin) > 0.45;
      return {
        value: [t.x - minX, t.y - minY, isNum(t.value) ? t.value : '-'],
        name: rt(t.name || t.code || ''),
        href: t.href || null,
        label: { color: dark ? '#ffffff' : TEXT },
      };
    };
    const withValue = tiles.filter(function (t) { return isNum(t.value); }).map(item);
    const noValue = tiles.filter(function (t) { return !isNum(t.value); }).map(function (t) {
      const it = item(t);
      it.value[2] = 0;
      it.missing = true;
      return it;
    });
    const tileLabel = {
      show: true,
      fontSize: fontSize,
      lineHeight: fontSize + 4,
      formatter: function (p) {
        return p.name + '\n' + (p.data.missing ? '—' : withUnit(p.data.value[2], unit));
      },
    };
    const tileStyle = { borderColor: '#ffffff', borderWidth: Math.max(2, Math.round(g.cell / 24)), borderRadius: 3 };
    const axis = function (n) {
      return { type: 'category', data: Array.from({ length: n }, function (_, i) { return String(i); }), show: false };
    };
    const series = [{
      type: 'heatmap',
      name: rt(d.label || ''),
      data: withValue,
      cursor: 'pointer',
      label: tileLabel,
      itemStyle: tileStyle,
      emphasis: { itemStyle: { borderColor: '#f2b134', borderWidth: 3 } },
    }];
    if (noValue.length) {
      series.push({
        type: 'heatmap',
        name: T.noData,
        data: noValue,
        cursor: 'pointer',
        label: tileLabel,
        itemStyle: Object.assign({ color: '#e5e7eb' }, tileStyle),
        emphasis: { itemStyle: { borderColor: '#f2b134', borderWidth: 3 } },
      });
    }
    return Object.assign(base(), {
      title: d.label ? {
        text: rt(d.label) + (unit ? paren(unit) : ''),
        left: 'center',
        top: 0,
        textStyle: { fontSize: 13, fontWeight: 'normal', color: MUTED, fontFamily: FONT },
      } : { show: false },
      tooltip: tooltip({
        trigger: 'item',
        formatter: function (p) {
          return p.name + COLON + (p.data.missing ? T.noData : withUnit(p.data.value[2], unit));
        },
      }),
      grid: { left: g.left, top: g.top, width: g.width, height: g.height },
      xAxis: axis(cols),
      yAxis: Object.assign(axis(rows), { inverse: true }),
      visualMap: {
        type: 'continuous',
        seriesIndex: 0,
        min: vmin,
        max: vmax,
        calculable: false,
        orient: 'horizontal',
        left: 'center',
        bottom: 4,
        itemWidth: 12,
        itemHeight: 140,
        text: [withUnit(vmax, unit), withUnit(vmin, unit)],
        formatter: function (v) { return withUnit(v, unit); },
        textStyle: { color: MUTED, fontSize: 11 },
        inRange: { color: ramp },
      },
      series: series,
    });
  }

  /* ---------- wiring ---------- */

  const BUILDERS = { gauge: gauge, trend: trend, bar: bar, pie: pie, tilemap: tilemap };
  const charts = [];

  function readData(el) {
    const id = el.getAttribute('data-source');
    const src = id ? document.getElementById(id) : null;
    if (!src) throw new Error('data source "' + id + '" not found');
    return JSON.parse(src.textContent || 'null') || {};
  }

  function sameOrigin(href) {
    try {
      return new URL(href, window.location.href).origin === window.location.origin;
    } catch (e) {
      return false;
    }
  }

  function markDone(el) {
    el.setAttribute('data-rendered', 'true');
  }

  // Resolves when the chart has finished drawing (after its animation), or after a fallback delay.
  function drawn(chart) {
    return new Promise(function (resolve) {
      let done = false;
      const finish = function () {
        if (done) return;
        done = true;
        chart.off('finished', finish);
        resolve();
      };
      chart.on('finished', finish);
      setTimeout(finish, reducedMotion ? 300 : 2500);
    });
  }

  function render(el) {
    const kind = el.getAttribute('data-chart');
    const existing = echarts.getInstanceByDom(el);
    if (existing) existing.dispose();
    tileDims.delete(el);
    const chart = echarts.init(el, null, { renderer: 'canvas', locale: lang === 'en' ? 'EN' : 'ZH' });
    if (!el.hasAttribute('role')) el.setAttribute('role', 'img');
    let option;
    let data = null;
    try {
      const build = BUILDERS[kind];
      if (!build) throw new Error('unknown chart kind "' + kind + '"');
      data = readData(el);
      option = build(data, el);
    } catch (err) {
      console.error('[charts] ' + (el.id ? '#' + el.id + ': ' : '') + err.message);
      el.setAttribute('data-chart-error', err.message);
      option = messageOption(T.error, STATUS.bad);
    }
    chart.setOption(option, true);
    const entry = { el: el, chart: chart, kind: kind, data: data };
    for (let i = charts.length - 1; i >= 0; i--) if (charts[i].el === el) charts.splice(i, 1);
    charts.push(entry);
    if (resizeObserver) resizeObserver.observe(el);
    if (kind === 'tilemap' && data) {
      chart.on('click', function (p) {
        const href = p.data && p.data.href;
        if (href && sameOrigin(href)) window.location.assign(href);
      });
    }
    return drawn(chart).then(function () { markDone(el); });
  }

  function resizeOne(entry) {
    if (entry.pending) return;
    entry.pending = true;
    window.requestAnimationFrame(function () {
      entry.pending = false;
      if (entry.chart.isDisposed()) return;
      entry.chart.resize();
      if (entry.kind === 'gauge' && entry.data && !entry.el.hasAttribute('data-chart-error')) {
        entry.chart.setOption(gauge(entry.data, entry.el)); // re-scale the dial text
      }
      const dims = entry.kind === 'tilemap' ? tileDims.get(entry.el) : null;
      if (dims) {
        // Keep tiles square: recompute the grid for the new size.
        const g = tileGrid(entry.el, dims.cols, dims.rows);
        entry.chart.setOption({ grid: { left: g.left, top: g.top, width: g.width, height: g.height } });
      }
    });
  }

  function resizeAll() {
    charts.forEach(resizeOne);
  }

  function renderAll(root) {
    const els = Array.prototype.slice.call((root || document).querySelectorAll('[data-chart]'));
    if (typeof window.echarts === 'undefined') {
      console.error('[charts] echarts.min.js is not loaded');
      els.forEach(function (el) { el.setAttribute('data-chart-error', 'echarts missing'); });
      return Promise.resolve();
    }
    const jobs = els.map(function (el) {
      try {
        return render(el);
      } catch (err) {
        console.error('[charts] ' + err.message);
        el.setAttribute('data-chart-error', err.message);
        markDone(el);
        return Promise.resolve();
      }
    });
    return Promise.all(jobs).then(function () {
      document.body.dataset.chartsReady = 'true';
    });
  }

  let resizeTimer = null;
  let resizeObserver = null;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(resizeAll, 100);
  });
  if (typeof window.ResizeObserver === 'function') {
    // Containers can change size without a window resize (e.g. a grid column collapsing).
    resizeObserver = new ResizeObserver(function (entries) {
      entries.forEach(function (e) {
        charts.forEach(function (c) { if (c.el === e.target) resizeOne(c); });
      });
    });
  }

  window.DemonitorCharts = { renderAll: renderAll, resize: resizeAll, format: withUnit };

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', function () { renderAll(); });
  } else {
    renderAll();
  }
})();
