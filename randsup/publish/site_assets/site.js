/* site.js — the page side of the randsup verification site: reads the JSON the page embeds,
 * wires the forms to randsup-core.js and writes the answers. Everything runs in this browser;
 * nothing is sent anywhere. URL parameters fill the forms so that a check can be linked:
 *   index.html?source1=…&source2=…[&salt=…]   fills the source values and checks the seed
 *   check.html?id=CODE                          checks one id
 *   check.html?ids=CODE1,CODE2,…                lists the tickets of many ids (used by the tests)
 */
"use strict";
(function () {
  const R = window.Randsup;
  const dataNode = document.getElementById("site-data");
  const data = dataNode ? JSON.parse(dataNode.textContent) : {};
  const params = new URLSearchParams(window.location.search);
  const CLASSES = ["A", "B", "C", "D"];
  // site.py DRAWN, ALTERNATE, REPLACED: how an id stands on a task's revealed drawn list.
  const STATUS = { drawn: "抽中", alternate: "递补抽中", replaced: "抽中，后由递补对象替换" };

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else node.setAttribute(k, v);
    }
    for (const c of children) node.append(c instanceof Node ? c : String(c));
    return node;
  }

  /** One line of a check: ✓ or ✗, what was checked, and the detail. */
  function verdict(ok, what, detail) {
    return el("p", { class: ok ? "ok" : "bad" }, el("span", { "aria-hidden": "true" }, ok ? "✓ " : "✗ "),
      el("strong", {}, what + (ok ? "：一致" : "：不一致")), detail ? el("span", { class: "detail" }, " " + detail) : "");
  }

  function done() {
    document.body.dataset.ready = "1";
  }

  // ---------------------------------------------------------------------------------------
  // Plan page: check the seed

  async function checkSeed(form, out) {
    out.replaceChildren();
    const inputs = Array.from(form.querySelectorAll("input.source"));
    let key;
    try {
      key = R.keyString(inputs.map((i) => i.value));
    } catch (err) {
      out.append(el("p", { class: "bad" }, "✗ " + err.message));
      out.dataset.match = "false";
      return;
    }
    const lines = [];
    let all = key === data.key_string;
    lines.push(verdict(all, "密钥串", all ? key : `由上列数值算得 ${key}，记录为 ${data.key_string}`));
    if (data.seed) {
      const salt = data.salt || "";
      if (data.salt_commitment) {
        const c = await R.saltCommitment(salt);
        const ok = c === data.salt_commitment;
        all = all && ok;
        lines.push(verdict(ok, "盐值与盐值承诺", ok ? c : `SHA-256(盐值) 为 ${c}，承诺为 ${data.salt_commitment}`));
      }
      const seed = await R.seedHex(key, salt);
      const ok = seed === data.seed;
      all = all && ok;
      lines.push(verdict(ok, "种子", ok ? seed : `算得 ${seed}，记录为 ${data.seed}`));
    } else {
      lines.push(el("p", { class: "note" }, "种子还取决于尚未公布的盐值，盐值公布后才能核对。"));
    }
    out.append(...lines);
    out.dataset.match = String(all);
  }

  function planPage() {
    const form = document.getElementById("seed-form");
    const out = document.getElementById("seed-result");
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      checkSeed(form, out);
    });
    let fromUrl = false;
    form.querySelectorAll("input.source").forEach((input, i) => {
      const v = params.get(`source${i + 1}`);
      if (v !== null) {
        input.value = v;
        fromUrl = true;
      }
    });
    if (fromUrl || params.has("check")) return checkSeed(form, out).then(done);
    done();
  }

  // ---------------------------------------------------------------------------------------
  // Check page: sub-seeds, one id, many ids

  /** The ticket seed of each task, recomputed from the seed (seed.py PublicSeed.sub_seed). */
  async function checkSubSeeds(out) {
    const bad = [];
    for (const t of data.tasks) {
      const s = await R.subSeed(data.seed, t.domain);
      if (s !== t.ticket_seed) bad.push(`${t.task_id}：由种子算得 ${s}，记录为 ${t.ticket_seed}`);
    }
    out.replaceChildren(bad.length
      ? verdict(false, "各任务的随机号种子", bad.join("；"))
      : verdict(true, "各任务的随机号种子", `由种子重新推出的 ${data.tasks.length} 个任务的随机号种子与记录相同`));
    return bad.length === 0;
  }

  /** How an id is read for a task's object kind: 统一社会信用代码 normalised, any other id trimmed. */
  function readId(raw, kind) {
    if (kind === data.market_entity) {
      const id = R.normaliseUscc(raw);
      return { id, problem: R.usccProblem(id) };
    }
    const id = raw.normalize("NFKC").trim();
    return { id, problem: id ? null : "请输入检查对象编号" };
  }

  function short(d) {
    return d.length > 24 ? d.slice(0, 24) + "…" : d;
  }

  /** Where the id's distance lies against one class's cut-offs. */
  function against(dist, c) {
    if (c.sample === 0) return { text: "本类未抽取", within: false };
    if (c.cutoff_drawn === null) return { text: "—", within: false };
    if (R.compareDecimal(dist, c.cutoff_drawn) <= 0) return { text: "在抽取界限内", within: true };
    if (c.cutoff_not_drawn === null) return { text: "本类全部抽中", within: true };
    return { text: "在界限外", within: false };
  }

  async function checkOne(raw, kind, out) {
    out.replaceChildren();
    const tasks = data.tasks.filter((t) => !kind || t.object_kind === kind);
    const read = readId(raw, tasks.length ? tasks[0].object_kind : data.market_entity);
    const error = document.getElementById("id-error");
    const input = document.getElementById("entity-id");
    error.textContent = read.problem || "";
    input.setAttribute("aria-invalid", read.problem ? "true" : "false");
    if (read.problem) return false;
    const id = read.id;
    const rows = [];
    const detail = [];
    const drawnIn = [];
    const tickets = new Map(); // ticket seed → { ticket, tasks }: together/apart tasks share one ticket
    let unexplained = false;
    let alternate = false;
    for (const t of tasks) {
      const ticket = await R.firstFraction(id, t.ticket_seed);
      // From the revealed drawn list (抽查名单), never inferred from the cut-offs.
      const status = Object.prototype.hasOwnProperty.call(t.status, id) ? t.status[id] : null;
      const drawn = status !== null;
      if (drawn) drawnIn.push(`${t.task_id} ${t.name}` + (status === "drawn" ? "" : `（${STATUS[status]}）`));
      const cells = [];
      const rowsDetail = [];
      let within = false;
      for (const k of CLASSES) {
        const c = t.classes[k];
        if (!c) {
          cells.push(el("td", {}, "—"));
          continue;
        }
        const dist = R.distance(ticket, c.start);
        const a = against(dist, c);
        within = within || a.within;
        cells.push(el("td", { class: a.within ? "in" : "out", "data-class": k, "data-distance": dist }, a.text));
        rowsDetail.push(el("tr", {}, el("th", { scope: "row" }, k + "类"), el("td", {}, c.start),
          el("td", {}, el("code", {}, dist)), el("td", {}, el("code", {}, c.cutoff_drawn ?? "—")),
          el("td", {}, el("code", {}, c.cutoff_not_drawn ?? "—")), el("td", {}, `${c.sample} / ${c.population}`)));
      }
      if (!drawn && within) unexplained = true;
      if (drawn && !within) alternate = true;
      rows.push(el("tr", { "data-task": t.task_id, "data-drawn": drawn ? "1" : "0", "data-status": status || "",
        "data-ticket": ticket },
        el("th", { scope: "row" }, `${t.task_id} ${t.name}`),
        el("td", { class: drawn ? "drawn" : "" }, drawn ? STATUS[status] : "未抽中"), ...cells));
      tickets.set(t.ticket_seed, { ticket, tasks: [...(tickets.get(t.ticket_seed) || { tasks: [] }).tasks, t.task_id] });
      detail.push(el("details", {}, el("summary", {}, `${t.task_id} ${t.name}：距离与抽取界限`),
        el("div", { class: "scroll" }, el("table", {},
          el("thead", {}, el("tr", {}, ...["分类", "起点", "您的距离", "抽中者最大距离", "未抽中者最小距离", "抽取 / 对象数"]
            .map((h) => el("th", { scope: "col" }, h)))),
          el("tbody", {}, ...rowsDetail)))));
    }
    out.append(el("h3", {}, "核对结果：", el("code", {}, id)));
    out.append(el("p", { class: drawnIn.length ? "summary drawn" : "summary" }, drawnIn.length
      ? `在以下 ${drawnIn.length} 项抽查任务中被抽中：${drawnIn.join("；")}。`
      : `未在本计划的 ${tasks.length} 项抽查任务中被抽中。`));
    if (unexplained) {
      out.append(el("p", { class: "callout" }, "有任务中您的距离在某一类的抽取界限内，但没有被抽中。这本身不说明任何问题：" +
        "您可能不在该任务的抽查范围内、属于另一个信用风险分类，或本年度检查次数已达上限——详见下方“怎样读结果”。"));
    }
    if (alternate) {
      out.append(el("p", { class: "callout" }, "有任务中您被抽中，但距离在各类抽取界限之外：这通常是递补（原抽中对象无法检查时按随机号顺序递补）。"));
    }
    const head = el("tr", {}, el("th", { scope: "col" }, "抽查任务"), el("th", { scope: "col" }, "是否抽中"),
      ...CLASSES.map((k) => el("th", { scope: "col" }, `若属${k}类`)));
    out.append(el("div", { class: "scroll" }, el("table", { id: "draw-table" },
      el("caption", {}, "各任务：是否抽中，以及您的距离与各类抽取界限的比较（请看您所属信用风险分类那一列）"),
      el("thead", {}, head), el("tbody", {}, ...rows))));
    out.append(el("h4", {}, "精确值"));
    for (const { ticket, tasks: ids } of tickets.values()) {
      out.append(el("p", {}, `随机号（${ids.length === data.tasks.length ? "全部任务" : ids.join("、")}）：`,
        el("code", { class: "long" }, ticket)));
    }
    out.append(...detail);
    return true;
  }

  async function batch(ids) {
    const section = document.getElementById("batch-section");
    const body = section.querySelector("tbody");
    const seeds = [...new Set(data.tasks.map((t) => t.ticket_seed))];
    for (const raw of ids) {
      const read = readId(raw, data.kinds.length === 1 ? data.kinds[0] : data.market_entity);
      for (const seed of seeds) {
        const ticket = await R.firstFraction(read.id, seed);
        body.append(el("tr", { "data-input": raw, "data-id": read.id, "data-seed": seed, "data-ticket": ticket,
          "data-valid": read.problem ? "0" : "1" },
          el("td", {}, raw), el("td", {}, el("code", {}, read.id)), el("td", {}, read.problem || "✓"),
          el("td", {}, el("code", {}, short(seed))), el("td", {}, el("code", {}, ticket))));
      }
    }
    section.hidden = false;
  }

  async function checkPage() {
    const subOk = await checkSubSeeds(document.getElementById("subseed-result"));
    const form = document.getElementById("draw-form");
    const out = document.getElementById("draw-result");
    const input = document.getElementById("entity-id");
    const kind = document.getElementById("kind");
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      if (subOk) checkOne(input.value, kind ? kind.value : null, out);
    });
    if (!subOk) {
      out.append(el("p", { class: "bad" }, "随机号种子与种子不符，本页不计算随机号。请向发布机关核实。"));
      return done();
    }
    if (params.has("kind") && kind) kind.value = params.get("kind");
    if (params.has("id")) {
      input.value = params.get("id");
      await checkOne(input.value, kind ? kind.value : null, out);
    }
    if (params.has("ids")) await batch(params.get("ids").split(",").filter((s) => s));
    done();
  }

  const run = data.page === "plan" ? planPage : data.page === "check" ? checkPage : done;
  Promise.resolve(run()).catch((err) => {
    document.body.dataset.error = String(err);
    const main = document.getElementById("main");
    main.prepend(el("p", { class: "bad", role: "alert" }, "本页脚本出错：" + err.message));
    done();
  });
})();
