// The chart page: draws what the API's own JSON endpoints serve, nothing else.
// State for tests and curious readers: window.__chart and <body data-state>.
(() => {
  "use strict";

  const body = document.body;
  const root = body.dataset.root;
  const ticker = body.dataset.ticker;
  const api = `${root}/tickers/${encodeURIComponent(ticker)}`;
  const MAX_TICKS = 10000; // the history endpoint's largest `limit`

  // The page's own query: the range, and the windows and signal pair, passed on as they are.
  const query = new URLSearchParams(location.search);
  const pick = (...keys) => {
    const picked = new URLSearchParams();
    for (const key of keys) if (query.get(key)) picked.set(key, query.get(key));
    return picked;
  };
  const range = pick("start", "end");
  const smas = pick("windows", "short", "long");
  const pair = pick("short", "long");
  const short = `sma_${query.get("short") || 10}`;
  const long = `sma_${query.get("long") || 30}`;

  const state = {
    state: "loading", ticker, ticks: 0, markers: 0, crossovers: null,
    message: null, colors: {}, drawnMs: null,
  };
  window.__chart = state;

  const $ = (id) => document.getElementById(id);
  const el = (tag, props = {}, text = "") => {
    const node = Object.assign(document.createElement(tag), props);
    if (text) node.textContent = text;
    return node;
  };

  class ApiError extends Error {}

  async function getJson(path, params) {
    const url = params && [...params].length ? `${path}?${params}` : path;
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    const answer = await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(describe(response.status, answer));
    return answer;
  }

  function describe(status, answer) {
    const detail = answer && answer.detail;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) {
      return detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ");
    }
    return `the API answered ${status}`;
  }

  const utc = (iso) => iso.replace("T", " ").replace(/(\.\d+)?Z$/, " UTC");
  const seconds = (iso) => Date.parse(iso) / 1000;
  const number = (value) =>
    value === null || value === undefined
      ? "–"
      : value.toLocaleString("en-US", { maximumSignificantDigits: 10, useGrouping: false });

  function finish(name, message) {
    state.state = name;
    state.message = message || null;
    if (message) {
      $("message").textContent = message;
      $("message").hidden = false;
      $("chart").hidden = true;
    }
    body.dataset.state = name;
  }

  function showPicker(found) {
    const picker = $("picker");
    picker.replaceChildren();
    const names = found.tickers.map((t) => t.ticker);
    if (!names.includes(ticker)) names.unshift(ticker);
    for (const name of names) {
      picker.append(el("option", { value: name, selected: name === ticker }, name));
    }
    picker.addEventListener("change", () => {
      location.assign(`${root}/tickers/${encodeURIComponent(picker.value)}/chart${location.search}`);
    });
  }

  function showLatest(tick) {
    const list = $("latest");
    list.replaceChildren();
    const rows = [["last_refreshed", "time (UTC)"], ["signal", "signal"],
      ["bid_price", "bid"], ["ask_price", "ask"]];
    for (const key of Object.keys(tick)) if (/^sma_\d+$/.test(key)) rows.push([key, key]);
    for (const [key, label] of rows) {
      const value = tick[key];
      const shown = key === "last_refreshed" ? utc(value)
        : key === "signal" ? (value || "none") : number(value);
      const dd = el("dd", { className: key === "signal" ? value || "" : "" }, shown);
      dd.dataset.field = key;
      dd.dataset.value = value === null ? "" : String(value);
      list.append(el("dt", {}, label), dd);
    }
  }

  function legendItem(index, label) {
    const item = el("li", { className: `series-${index}` }, label);
    const value = el("output");
    item.append(value);
    $("legend").append(item);
    const color = getComputedStyle(item).getPropertyValue("--c").trim();
    return { color, value };
  }

  function draw(ticks, events, truncated) {
    const charts = window.LightweightCharts;
    const css = getComputedStyle(document.documentElement);
    const chart = charts.createChart($("chart"), {
      autoSize: true,
      layout: { attributionLogo: false, textColor: css.getPropertyValue("--fg").trim() },
      timeScale: { timeVisible: true, secondsVisible: false },
      crosshair: { mode: charts.CrosshairMode.Normal },
    });
    const keys = Object.keys(ticks[0]).filter((k) => /^sma_\d+$/.test(k));
    const series = {};
    ["bid_price", ...keys].forEach((key, index) => {
      const { color, value } = legendItem(index, key === "bid_price" ? "bid" : key);
      state.colors[key] = color;
      const line = chart.addSeries(charts.LineSeries, {
        color, lineWidth: 2, priceLineVisible: false, lastValueVisible: index === 0,
        crosshairMarkerVisible: false,
      });
      // A null SMA (window not yet full) is a gap in its line, not a zero.
      line.setData(ticks.map((t) => (t[key] === null
        ? { time: seconds(t.last_refreshed) }
        : { time: seconds(t.last_refreshed), value: t[key] })));
      series[key] = { line, value, last: ticks[ticks.length - 1][key] };
      value.textContent = number(series[key].last);
    });

    const bull = css.getPropertyValue("--bull").trim();
    const bear = css.getPropertyValue("--bear").trim();
    const first = seconds(ticks[0].last_refreshed);
    const markers = events
      .filter((e) => seconds(e.last_refreshed) >= first)
      .map((e) => ({
        time: seconds(e.last_refreshed),
        ...(e.type === "bullish_cross"
          ? { position: "belowBar", shape: "arrowUp", color: bull }
          : { position: "aboveBar", shape: "arrowDown", color: bear }),
      }));
    // On the short SMA's line, where the crossing happens.
    const pinned = series[short] || series[keys[0]] || series.bid_price;
    const pins = charts.createSeriesMarkers(pinned.line, markers);
    $("legend").append(el("li", { className: "marker-bull" }, "▲ bullish cross"),
      el("li", { className: "marker-bear" }, "▼ bearish cross"));

    chart.subscribeCrosshairMove((param) => {
      for (const s of Object.values(series)) {
        const point = param.time === undefined ? null : param.seriesData.get(s.line);
        s.value.textContent = number(point && point.value !== undefined ? point.value : s.last);
      }
    });
    chart.timeScale().fitContent();
    state.markers = pins.markers().length;
    if (truncated) {
      $("range").textContent +=
        ` Only the newest ${MAX_TICKS} ticks are drawn: narrow the range to see the rest.`;
    }
    // Two frames: the library paints on the next animation frame.
    requestAnimationFrame(() => requestAnimationFrame(() => {
      state.drawnMs = performance.now();
      finish("drawn");
    }));
  }

  async function main() {
    const history = new URLSearchParams([...range, ...smas]);
    history.set("limit", String(MAX_TICKS));
    history.set("order", "desc");
    const signalsQuery = new URLSearchParams([...range, ...pair]);
    const latestQuery = [...smas].length ? `?${smas}` : "";
    $("link-history").href = `${api}/sma/history?${history}`;
    $("link-signals").href = `${api}/signals?${signalsQuery}`;
    $("link-latest").href = `${api}/sma${latestQuery}`;
    $("pair").textContent = `${short} crossing above ${long}`;

    getJson(`${root}/tickers`).then(showPicker).catch(() => { /* the picker keeps this ticker */ });
    const [latest, found, signals] = await Promise.allSettled([
      getJson(`${api}/sma`, smas),
      getJson(`${api}/sma/history`, history),
      getJson(`${api}/signals`, signalsQuery),
    ]);
    if (latest.status === "fulfilled") showLatest(latest.value);
    const failed = [latest, found, signals].find((r) => r.status === "rejected");
    if (failed) {
      const reason = failed.reason;
      $("range").textContent = "";
      $("crossovers").textContent = "–";
      finish("error", reason instanceof ApiError
        ? `${ticker}: ${reason.message}. Pick a ticker with data from the list, or another range.`
        : `Could not load the data: ${reason}`);
      return;
    }
    const { meta } = found.value;
    const ticks = found.value.items.slice().reverse();
    state.ticks = ticks.length;
    state.crossovers = signals.value.meta.count;
    $("range").textContent = `From ${utc(meta.start)} to ${utc(meta.end)}: ${ticks.length} ticks.`;
    const kind = (type) => signals.value.events.filter((e) => e.type === type).length;
    $("crossovers").textContent = `${signals.value.meta.count} ` +
      `(${kind("bullish_cross")} bullish, ${kind("bearish_cross")} bearish)`;
    if (ticks.length === 0) {
      const span = `from ${utc(meta.start)} to ${utc(meta.end)}`;
      finish("empty", `No ticks for ${ticker} ${span}: pick another range.`);
      return;
    }
    draw(ticks, signals.value.events, meta.truncated);
  }

  main().catch((error) => finish("error", `The chart failed: ${error}`));
})();
