// 一窗受理 pages: the forms post JSON to the API and show its Chinese error messages.
(function () {
  function $(id) { return document.getElementById(id); }
  function post(url, body, csrf) {
    var h = { "Content-Type": "application/json" };
    if (csrf) { h["x-csrf-token"] = csrf; }
    return fetch(url, { method: "POST", headers: h, body: JSON.stringify(body), credentials: "same-origin" })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (d) {
          if (!r.ok) {
            var msg = d.message || "提交失败，请稍后再试";
            if (d.fields && d.fields.length > 1) { msg = d.fields.map(function (f) { return f.message; }).join("；"); }
            throw new Error(msg);
          }
          return d;
        });
      });
  }
  function fail(el, e) { if (el) { el.hidden = false; el.textContent = e.message; } else { alert(e.message); } }

  // The window: queue panel.
  var call = $("q-call");
  if (call) {
    var form = $("apply-form"), csrf = form ? form.dataset.csrf : "", current = null;
    function show(t) {
      current = t;
      document.dispatchEvent(new CustomEvent("jiceng:ticket", { detail: t }));
      $("q-current").textContent = t ? ("请 " + t.label + " 号到 " + t.window + "（" + t.group_name + "）") : "当前没有等候的群众";
      ["q-recall", "q-noshow", "q-done", "q-transfer"].forEach(function (id) { $(id).disabled = !t; });
    }
    call.addEventListener("click", function () {
      post("/api/v1/queue/call", { window: $("q-window").value }, csrf).then(function (d) { show(d.ticket); }).catch(function (e) { alert(e.message); });
    });
    // The clerk's seat: the window is remembered by this browser, and what it serves is shown
    // again after the clerk opened an application and came back.
    var seat = $("q-window");
    // 暂停叫号: the window calls nobody until resumed (or the next day).
    var pauseBtn = $("q-pause");
    function paused(p) {
      pauseBtn.setAttribute("aria-pressed", p ? "true" : "false");
      pauseBtn.textContent = p ? "恢复叫号" : "暂停叫号";
      call.disabled = p;
      if (p && !current) { $("q-current").textContent = "本窗口暂停叫号中"; }
    }
    pauseBtn.addEventListener("click", function () {
      var want = pauseBtn.getAttribute("aria-pressed") !== "true";
      post("/api/v1/queue/pause", { window: seat.value, paused: want }, csrf)
        .then(function (d) { paused(d.paused); if (!d.paused && !current) { $("q-current").textContent = "已恢复叫号"; } })
        .catch(function (e) { alert(e.message); });
    });
    function resume() {
      fetch("/api/v1/queue/current?window=" + encodeURIComponent(seat.value), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { ticket: null }; })
        .then(function (d) { if (d.ticket) { show(d.ticket); } paused(!!d.paused); });
    }
    try {
      var saved = localStorage.getItem("jiceng-window");
      if (saved && Array.prototype.some.call(seat.options, function (o) { return o.value === saved; })) { seat.value = saved; }
    } catch (e) {}
    seat.addEventListener("change", function () {
      try { localStorage.setItem("jiceng-window", seat.value); } catch (e) {}
      show(null);
      $("q-current").textContent = "当前无叫号";
      resume();
    });
    resume();
    function act(body) {
      if (!current) { return; }
      post("/api/v1/queue/tickets/" + current.id + "/actions", body, csrf).then(function (t) {
        $("q-current").textContent = t.label + " " + t.status_label;
        current = null;
        ["q-recall", "q-noshow", "q-done", "q-transfer"].forEach(function (id) { $(id).disabled = true; });
      }).catch(function (e) { alert(e.message); });
    }
    // 重呼: announced again on the hall display; the ticket stays with this window.
    $("q-recall").addEventListener("click", function () {
      if (!current) { return; }
      post("/api/v1/queue/tickets/" + current.id + "/actions", { action: "recall" }, csrf)
        .then(function (t) { show(t); $("q-current").textContent = "已重呼 " + t.label + " 号到 " + t.window; })
        .catch(function (e) { alert(e.message); });
    });
    $("q-noshow").addEventListener("click", function () { act({ action: "no_show" }); });
    $("q-done").addEventListener("click", function () { act({ action: "finish" }); });
    $("q-transfer").addEventListener("click", function () { act({ action: "transfer", group: $("q-group").value }); });
  }

  // The window: intake.
  var subject = $("a-subject");
  // 查找事项, and the matters of the group of the ticket being served first.
  var find = $("a-find"), only = $("a-group-only");
  function narrow() {
    if (!subject) { return; }
    var q = find ? find.value.trim() : "";
    var units = only && only.checked && only.dataset.units ? only.dataset.units.split(",") : null;
    subject.querySelectorAll("option").forEach(function (o) {
      if (!o.value) { return; }
      var byText = !q || o.textContent.indexOf(q) >= 0;
      var byGroup = !units || !o.dataset.unit || units.indexOf(o.dataset.unit) >= 0;
      o.hidden = !(byText && byGroup);
    });
  }
  if (find) { find.addEventListener("input", narrow); }
  if (only) { only.addEventListener("change", narrow); }
  document.addEventListener("jiceng:ticket", function (e) {
    var t = e.detail, box = $("a-group-only-box");
    if (!only || !box) { return; }
    var opt = t && document.querySelector("#q-group option[value='" + t.group_code + "']");
    var units = opt ? opt.dataset.units : "";
    only.dataset.units = units || "";
    box.hidden = !units;
    if (units) { $("a-group-only-label").textContent = "只看“" + t.group_name + "”分组的事项"; }
    narrow();
  });
  if (subject) {
    var box = $("a-materials"), err = $("a-error"), csrf2 = $("apply-form").dataset.csrf;
    $("a-channel").addEventListener("change", function () { $("a-agent-box").hidden = this.value !== "assisted"; });
    subject.addEventListener("change", function () {
      box.textContent = "";
      if (!subject.value) { return; }
      var parts = subject.value.split(":");
      fetch("/api/v1/applications/checklist?" + parts[0] + "=" + encodeURIComponent(parts.slice(1).join(":")))
        .then(function (r) { return r.json(); }).then(function (d) {
          (d.items || []).forEach(function (i) {
            var l = document.createElement("label");
            var c = document.createElement("input");
            c.type = "checkbox"; c.value = i.name; c.className = "material"; c.dataset.condition = i.condition || "";
            l.appendChild(c);
            var tag = i.required ? "必交" : (i.condition ? "条件：" + i.condition : "选交");
            l.appendChild(document.createTextNode(" " + (i.label || i.name) + "（" + tag + "）" + (i.needed_by.length > 1 ? " · " + i.needed_by.length + "个事项共用" : "")));
            box.appendChild(l);
          });
          if (!(d.items || []).length) { box.textContent = "本事项无需申请人提交材料"; }
        });
    });
    if (subject.value) { subject.dispatchEvent(new Event("change")); }
    function submit(refuse) {
      err.hidden = true;
      var parts = subject.value.split(":"), body = {
        channel: $("a-channel").value,
        applicant: { name: $("a-name").value, id_number: $("a-id").value.trim().toUpperCase(), phone: $("a-phone").value },
        provided: [], applies: [], delivery: $("a-delivery").value,
        window: ($("q-window") || {}).value || "",
        ticket_id: (typeof current !== "undefined" && current) ? current.id : null,
        client_key: "w-" + Date.now() + "-" + Math.random().toString(36).slice(2, 10)
      };
      if (parts[0]) { body[parts[0]] = parts.slice(1).join(":"); }
      document.querySelectorAll("#a-materials input.material:checked").forEach(function (c) {
        body.provided.push(c.value);
        if (c.dataset.condition) { body.applies.push(c.value); }
      });
      if (body.channel === "assisted") {
        body.agent = { kind: $("a-agent-kind").value, name: $("a-agent-name").value, id_number: $("a-agent-id").value.trim().toUpperCase(),
          relationship: $("a-agent-rel").value, authorization: $("a-agent-auth").value };
      }
      if (refuse) { body.not_accepted = $("a-refuse").value; }
      var online = $("apply-form").dataset.after === "track";
      post("/api/v1/applications", body, csrf2).then(function (a) {
        if (!online) { location.href = "/window/applications/" + a.id; return; }
        // The pin is shown this once, here, and never put into an address.
        var done = $("apply-done");
        done.querySelector("#apply-code").textContent = a.code;
        done.querySelector("#apply-pin").textContent = a.tracking_pin || "";
        done.querySelector("a").href = "/service/track?code=" + encodeURIComponent(a.code);
        done.hidden = false;
        $("apply-form").hidden = true;
        done.scrollIntoView();
      })
        .catch(function (e) { fail(err, e); });
    }
    $("a-submit").addEventListener("click", function () { submit(false); });
    $("a-refuse-submit").addEventListener("click", function () { submit(true); });
  }

  // An application: supplements and the back office's steps.
  var sup = $("supplement-submit");
  if (sup) {
    sup.addEventListener("click", function () {
      var f = $("supplement-form"), provided = [];
      f.querySelectorAll("input[name=provided]:checked").forEach(function (c) { provided.push(c.value); });
      post("/api/v1/applications/" + f.dataset.id + "/actions", { action: "supplement", provided: provided }, f.dataset.csrf)
        .then(function () { location.reload(); }).catch(function (e) { fail($("act-error"), e); });
    });
  }
  document.querySelectorAll(".part-actions").forEach(function (cell) {
    var url = "/api/v1/applications/" + cell.dataset.id + "/actions", part = Number(cell.dataset.part);
    function go(body) {
      body.part = part;
      post(url, body, cell.dataset.csrf).then(function () { location.reload(); }).catch(function (e) { fail($("act-error"), e); });
    }
    var b = cell.querySelector(".advance");
    if (b) { b.addEventListener("click", function () { go({ action: "advance", result_no: cell.querySelector(".result-no").value }); }); }
    b = cell.querySelector(".suspend");
    if (b) { b.addEventListener("click", function () { go({ action: "suspend", kind: cell.querySelector(".pause-kind").value, note: cell.querySelector(".pause-note").value }); }); }
    b = cell.querySelector(".resume");
    if (b) { b.addEventListener("click", function () { go({ action: "resume" }); }); }
  });

  // Rectifications and the 办不成事 desk.
  document.querySelectorAll(".rect-actions").forEach(function (cell) {
    function go(body) {
      post("/api/v1/rectifications/" + cell.dataset.id + "/actions", body, cell.dataset.csrf)
        .then(function () { location.reload(); }).catch(function (e) { fail($("act-error"), e); });
    }
    var b = cell.querySelector(".rect-contact");
    if (b) { b.addEventListener("click", function () { go({ action: "contact" }); }); }
    b = cell.querySelector(".rect-submit");
    if (b) { b.addEventListener("click", function () { go({ action: "answer", outcome: cell.querySelector(".rect-outcome").value, answer: cell.querySelector(".rect-answer").value }); }); }
  });
  var desk = $("d-submit");
  if (desk) {
    desk.addEventListener("click", function () {
      post("/api/v1/desk", { subject_kind: $("d-kind").value, subject_code: $("d-code").value, summary: $("d-summary").value, owner: $("d-owner").value },
        $("desk-form").dataset.csrf).then(function () { location.reload(); }).catch(function (e) { fail($("act-error"), e); });
    });
  }
  document.querySelectorAll(".desk-actions").forEach(function (cell) {
    var b = cell.querySelector(".desk-resolve");
    if (b) {
      b.addEventListener("click", function () {
        post("/api/v1/desk/" + cell.dataset.id + "/resolve", { resolution: cell.querySelector(".desk-resolution").value }, cell.dataset.csrf)
          .then(function () { location.reload(); }).catch(function (e) { fail($("act-error"), e); });
      });
    }
  });

  // The kiosk: one tap, one ticket.
  document.querySelectorAll(".kiosk-button").forEach(function (b) {
    b.addEventListener("click", function () {
      post("/api/v1/queue/tickets", { group: b.dataset.group }).then(function (t) {
        $("ticket-slip").textContent = "您的号码 " + t.label + "（" + t.group_name + "），前面还有 " + t.ahead + " 人";
      }).catch(function (e) { alert(e.message); });
    });
  });

  // The citizen rates.
  var rate = $("r-submit");
  if (rate) {
    rate.addEventListener("click", function () {
      var f = $("rate-app-form"), dims = {};
      if (!$("r-level").value) { $("r-message").textContent = "请先选择总体评价"; return; }
      // A score left unchosen is not sent: nothing is answered for the citizen.
      f.querySelectorAll(".r-dim").forEach(function (s) { if (s.value) { dims[s.dataset.name] = Number(s.value); } });
      post("/api/v1/ratings", { code: f.dataset.code, pin: f.dataset.pin, channel: "offline", level: $("r-level").value,
        dimensions: dims, comment: $("r-comment").value })
        .then(function (r) {
          $("r-message").textContent = "感谢您的评价！" + (r.rectification ? "相关单位将在1个工作日内与您联系。" : "");
          rate.disabled = true;
        }).catch(function (e) { $("r-message").textContent = e.message; });
    });
  }
})();
