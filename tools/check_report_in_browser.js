// Injected at the end of a copy of a Diffuse comparison report (index.html) by
// tools/check_report_in_browser.sh; the head part (window.__reportCheck, which records script
// errors from the first line on) is injected at the top of <head>.
//
// After the load event: every <img> must be complete with naturalWidth > 0, every chart
// (svg.chart) must have a non-empty bounding box, every <audio>/<video> must load its metadata
// without error (waited for up to 20 s), and no script error may have happened. The verdict is
// written as the text of <pre id="diffuse-report-check">, which the shell script reads from
// the DOM the browser dumps:
//   ok: 6 charts, 36 images, 24 media, 0 script errors
//   fail: broken image img "image: euler, 4 steps, …" (src data:image/png;base64,iVBO…) (+2 more problems)
(function () {
  "use strict";
  var check = window.__reportCheck;

  function describe(element) {
    var text = element.tagName.toLowerCase();
    if (element.id) text += "#" + element.id;
    var label = element.getAttribute("alt") || element.getAttribute("aria-label");
    if (label) text += ' "' + label + '"';
    var source = element.getAttribute("src");
    if (source) text += " (src " + (source.length > 48 ? source.slice(0, 48) + "…" : source) + ")";
    return text;
  }

  function finish(charts, images, media, problems) {
    var errors = check.errors;
    var all = errors.map(function (e) { return "script error: " + e; }).concat(problems);
    var verdict;
    if (all.length === 0 && charts > 0) {
      verdict = "ok: " + charts + " charts, " + images + " images, " + media + " media, 0 script errors";
    } else if (all.length === 0) {
      verdict = "fail: no chart (svg.chart) in the page";
    } else {
      verdict = "fail: " + all[0] + (all.length > 1 ? " (+" + (all.length - 1) + " more problems)" : "") +
        " [" + charts + " charts, " + images + " images, " + media + " media, " + errors.length + " script errors]";
    }
    var pre = document.createElement("pre");
    pre.id = "diffuse-report-check";
    pre.textContent = verdict.replace(/\s+/g, " ");
    document.body.appendChild(pre);
  }

  function run() {
    var problems = [];
    var charts = document.querySelectorAll("svg.chart");
    charts.forEach(function (svg) {
      var box = svg.getBBox();
      if (!(box.width > 0 && box.height > 0)) problems.push("empty chart " + describe(svg));
    });
    var images = document.querySelectorAll("img");
    images.forEach(function (img) {
      if (!img.complete || !(img.naturalWidth > 0)) problems.push("broken image " + describe(img));
    });
    var media = Array.prototype.slice.call(document.querySelectorAll("audio, video"));
    var waiting = media.length;
    var done = false;
    function settle() {
      if (done) return;
      done = true;
      media.forEach(function (m) {
        if (m.error) problems.push("media error " + m.error.code + " " + describe(m));
        else if (m.readyState < 1) problems.push("media not loaded " + describe(m));
      });
      finish(charts.length, images.length, media.length, problems);
    }
    if (waiting === 0) return settle();
    media.forEach(function (m) {
      function one() {
        waiting -= 1;
        if (waiting === 0) settle();
      }
      if (m.error || m.readyState >= 1) return one();
      var seen = false;
      function once() { if (!seen) { seen = true; one(); } }
      m.addEventListener("loadedmetadata", once);
      m.addEventListener("error", once);
      var source = m.querySelector("source");
      if (source) source.addEventListener("error", once);
      if (m.preload === "none") m.load();
    });
    setTimeout(settle, 20000);
  }

  if (document.readyState === "complete") run();
  else window.addEventListener("load", run);
})();
