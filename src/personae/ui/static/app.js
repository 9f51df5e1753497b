// personae UI behaviour: no inline scripts (the CSP forbids them); elements say what
// they need with data-* attributes, and this file wires them up, again after htmx swaps.
(function () {
  "use strict";
  const base = document.body.dataset.base || "";

  function autosubmit(root) {
    root.querySelectorAll("[data-autosubmit]").forEach((el) => {
      if (el.dataset.wired) return;
      el.dataset.wired = "1";
      el.addEventListener("change", () => el.form.submit());
    });
  }

  function charts(root) {
    if (!window.vegaEmbed) return;
    root.querySelectorAll("[data-vega]").forEach((el) => {
      if (el.dataset.wired) return;
      el.dataset.wired = "1";
      const spec = JSON.parse(document.getElementById(el.dataset.vega).textContent);
      window.vegaEmbed(el, spec, {
        actions: false, ast: true, expr: window.vega.expressionInterpreter, renderer: "svg",
      }).catch((e) => { el.textContent = String(e); });
    });
  }

  function graph(root) {
    const el = root.querySelector("#graph");
    if (!el || el.dataset.wired || !window.cytoscape) return;
    el.dataset.wired = "1";
    const data = JSON.parse(document.getElementById("graph-data").textContent);
    const cy = window.cytoscape({
      container: el,
      elements: data.elements,
      wheelSensitivity: 0.3,
      style: [
        { selector: "node", style: {
          "label": "data(label)", "font-size": 10, "text-wrap": "wrap", "text-max-width": 120,
          "background-color": "data(colour)", "color": "#1b1f24", "width": 26, "height": 26,
          "text-valign": "bottom", "text-margin-y": 4 } },
        { selector: "node[outside]", style: { "background-color": "#ffffff",
          "border-width": 2, "border-color": "#8c959f", "border-style": "dashed" } },
        { selector: "edge", style: {
          "label": "data(label)", "font-size": 9, "width": "data(width)", "line-color": "data(colour)",
          "curve-style": "bezier", "text-rotation": "autorotate", "color": "#4a5560",
          "text-background-color": "#fff", "text-background-opacity": 0.8 } },
        { selector: "edge[dashed]", style: { "line-style": "dashed" } },
        { selector: ":selected", style: { "overlay-color": "#f0a800", "overlay-opacity": 0.35 } },
      ],
      layout: data.elements.filter((e) => !e.data.source).length > 150
        ? { name: "grid", padding: 20 }
        : { name: "cose", animate: false, padding: 30, nodeRepulsion: () => 9000,
            idealEdgeLength: () => 90, randomize: false },
    });
    const panel = document.getElementById("graph-panel");
    cy.on("tap", "node, edge", (evt) => {
      const d = evt.target.data();
      const url = d.panel;
      if (url && window.htmx) window.htmx.ajax("GET", url, { target: panel, swap: "innerHTML" });
    });
    window.personaeGraph = cy;  // the browser tests select nodes and edges through it
  }

  function wire(root) { autosubmit(root); charts(root); graph(root); }
  document.addEventListener("DOMContentLoaded", () => wire(document));
  document.addEventListener("htmx:afterSwap", (e) => wire(e.target));
  document.addEventListener("htmx:load", (e) => wire(e.target));
})();

// The segment builder: add a condition row (fetched from the server), remove one.
document.addEventListener("click", (e) => {
  const add = e.target.closest("[data-add-condition]");
  if (add) {
    const list = document.getElementById("conditions");
    const i = Number(list.dataset.next || "0");
    list.dataset.next = String(i + 1);
    const base = document.body.dataset.base || "";
    window.htmx.ajax("GET", `${base}/segments/condition?type=${add.dataset.addCondition}&i=${i}`,
      { target: list, swap: "beforeend" }).then(() => {
        const row = document.getElementById(`condition-${i}`);
        if (row) { const first = row.querySelector("select, input:not([type=hidden])"); if (first) first.focus(); }
        list.closest("form").dispatchEvent(new Event("change", { bubbles: true }));
      });
  }
  const remove = e.target.closest("[data-remove-condition]");
  if (remove) {
    const form = remove.closest("form");
    remove.closest(".condition").remove();
    form.dispatchEvent(new Event("change", { bubbles: true }));
  }
});
