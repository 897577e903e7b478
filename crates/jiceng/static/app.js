// Large-font, high-contrast mode (适老化), remembered by the browser.
(function () {
  var root = document.documentElement;
  var button = document.getElementById("large-toggle");
  function show() {
    var on = root.classList.contains("large");
    if (button) {
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.textContent = on ? "标准字号" : "大字模式";
    }
  }
  if (button) {
    button.addEventListener("click", function () {
      var on = root.classList.toggle("large");
      try { localStorage.setItem("jiceng-large", on ? "1" : "0"); } catch (e) {}
      show();
    });
  }
  show();
  // Locate page: fill in the browser's position.
  var use = document.getElementById("use-position");
  if (use && navigator.geolocation) {
    use.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (p) {
        var f = document.getElementById("locate-form");
        f.lat.value = p.coords.latitude.toFixed(6);
        f.lon.value = p.coords.longitude.toFixed(6);
        f.submit();
      }, function () { alert("无法获取当前位置，请手动输入经纬度"); });
    });
  } else if (use) {
    use.hidden = true;
  }
})();

// Audit entry page: check the inclusion proof in the browser (RFC 9162 §2.1.3.2), so that the
// answer does not depend on trusting the server's own check.
(function () {
  var el = document.getElementById("proof-check");
  if (!el) return;
  if (!window.crypto || !crypto.subtle) {
    el.textContent = "此浏览器环境不能计算哈希（需要 HTTPS），请以服务器验证为准";
    return;
  }
  function bytes(b64) { return Uint8Array.from(atob(b64), function (c) { return c.charCodeAt(0); }); }
  function node(l, r) {
    var buf = new Uint8Array(65);
    buf[0] = 1; buf.set(l, 1); buf.set(r, 33);
    return crypto.subtle.digest("SHA-256", buf).then(function (d) { return new Uint8Array(d); });
  }
  function same(a, b) {
    if (a.length !== b.length) return false;
    for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  var fn = BigInt(el.dataset.index), sn = BigInt(el.dataset.size) - 1n;
  var proof = JSON.parse(el.dataset.proof).map(bytes);
  var root = bytes(el.dataset.root);
  var r = Promise.resolve(bytes(el.dataset.leaf));
  var ok = true;
  proof.forEach(function (p) {
    r = r.then(function (h) {
      if (sn === 0n) { ok = false; return h; }
      var next;
      if ((fn & 1n) === 1n || fn === sn) {
        next = node(p, h);
        if ((fn & 1n) === 0n) { while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; } }
      } else {
        next = node(h, p);
      }
      fn >>= 1n; sn >>= 1n;
      return next;
    });
  });
  r.then(function (h) {
    var good = ok && sn === 0n && same(h, root);
    el.textContent = good ? "通过：由叶子和证明路径算出的根哈希与签名检查点一致" : "失败：算出的根哈希与签名检查点不一致";
    el.className = good ? "notice" : "error";
  });
})();

// Intake form: category suggestions while typing, and the browser's position.
(function () {
  var form = document.getElementById("order-form");
  if (!form) return;
  var box = document.getElementById("suggestions");
  var text = document.getElementById("description");
  var timer = null;
  if (box && text) {
    var village = document.getElementById("village_code");
    var address = document.getElementById("address");
    var ask = function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        if (text.value.trim().length < 4) { box.textContent = ""; return; }
        fetch("/api/v1/work-orders/suggest", {
          method: "POST",
          headers: { "content-type": "application/json", "x-csrf-token": form.csrf.value },
          body: JSON.stringify({
            text: text.value,
            lat: parseFloat(document.getElementById("lat").value) || null,
            lon: parseFloat(document.getElementById("lon").value) || null,
            village_code: village ? village.value || null : null,
            address: address ? address.value : ""
          })
        }).then(function (r) { return r.json(); }).then(function (d) {
          box.textContent = "";
          (d.suggestions || []).forEach(function (s) {
            var b = document.createElement("button");
            b.type = "button";
            b.textContent = s.name + "（" + Math.round(s.confidence * 100) + "%，依据：" + s.words.join("、") + "）";
            b.addEventListener("click", function () { document.getElementById("category_code").value = s.code; });
            box.appendChild(b);
          });
          var found = document.getElementById("place-found");
          if (found) {
            var pl = d.place;
            if (pl && pl.by_text && (pl.village || pl.township)) {
              found.textContent = "按地址定位：" + [pl.township && pl.township.name, pl.village && pl.village.name].filter(Boolean).join(" ") + "（地址中有“" + pl.by_text + "”）";
            } else if (pl && pl.outside) {
              found.textContent = "位置在本县以外，将转人工派单。";
            } else {
              found.textContent = "";
            }
          }
          var plan = document.getElementById("plan");
          if (plan) {
            plan.textContent = "";
            if (d.dispatch && d.dispatch.Dispatch) {
              var p = d.dispatch.Dispatch;
              var names = (p.assisting || []).map(function (u) { return u.name; });
              plan.textContent = "将派至：" + p.lead.name + "（主办）" + (names.length ? "，" + names.join("、") + "（协办）" : "") + "。依据：" + (p.reasons || []).join("；");
            } else if (d.dispatch && d.dispatch.Manual) {
              plan.textContent = "将转人工派单：" + d.dispatch.Manual.join("；");
            }
          }
          var dup = document.getElementById("duplicates");
          if (dup) {
            dup.textContent = "";
            if ((d.duplicates || []).length) {
              dup.appendChild(document.createTextNode("附近可能重复的工单："));
              d.duplicates.forEach(function (o) {
                var a = document.createElement("a");
                a.href = "/work-orders/" + o.id;
                a.textContent = o.tracking_code + " " + o.title + "（" + o.distance_m + "米，" + o.status_label + "）";
                dup.appendChild(a);
                dup.appendChild(document.createTextNode(" "));
              });
            }
          }
        }).catch(function () {});
      }, 400);
    };
    text.addEventListener("input", ask);
    // The preview follows the place as soon as one is chosen.
    if (village) { village.addEventListener("change", ask); }
    if (address) { address.addEventListener("input", ask); }
  }
  // 来电历史: the caller's earlier orders, as soon as the number is complete.
  var phone = form.querySelector("input[name=reporter_phone]");
  var history = document.getElementById("caller-history");
  if (phone && history) {
    var lastAsked = "";
    var look = function () {
      var digits = phone.value.replace(/[\s-]/g, "");
      if (!/^\d{7,12}$/.test(digits) || digits === lastAsked) return;
      lastAsked = digits;
      fetch("/api/v1/work-orders/caller-history?per_page=5", {
        method: "POST",
        headers: { "content-type": "application/json", "x-csrf-token": form.csrf.value },
        body: JSON.stringify({ phone: digits })
      }).then(function (r) { return r.ok ? r.json() : null; }).then(function (d) {
        history.textContent = "";
        if (!d) return;
        if (!d.total) { history.textContent = "此号码没有反映过诉求。"; return; }
        history.appendChild(document.createTextNode("此号码此前反映过 " + d.total + " 件："));
        var ul = document.createElement("ul");
        d.items.forEach(function (o) {
          var li = document.createElement("li");
          var a = document.createElement("a");
          a.href = "/work-orders/" + o.id;
          a.textContent = o.tracking_code + " " + o.title;
          li.appendChild(a);
          li.appendChild(document.createTextNode("（" + o.status_label + "，" + o.created_at.slice(0, 10) + "）"));
          ul.appendChild(li);
        });
        history.appendChild(ul);
      }).catch(function () {});
    };
    phone.addEventListener("change", look);
    phone.addEventListener("input", function () { if (phone.value.replace(/[\s-]/g, "").length === 11) look(); });
  }
  var pos = document.getElementById("use-position-order");
  if (pos && navigator.geolocation) {
    pos.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (p) {
        document.getElementById("lat").value = p.coords.latitude.toFixed(6);
        document.getElementById("lon").value = p.coords.longitude.toFixed(6);
      }, function () { alert("无法获取当前位置，请手动填写地址"); });
    });
  } else if (pos) {
    pos.hidden = true;
  }
})();

// Photos: shrunk in the browser (longest side 1600 px, JPEG), sent as base64 in a hidden field.
(function () {
  function shrink(file) {
    return new Promise(function (resolve, reject) {
      var img = new Image();
      img.onload = function () {
        var k = Math.min(1, 1600 / Math.max(img.width, img.height));
        var c = document.createElement("canvas");
        c.width = Math.round(img.width * k);
        c.height = Math.round(img.height * k);
        c.getContext("2d").drawImage(img, 0, 0, c.width, c.height);
        URL.revokeObjectURL(img.src);
        resolve(c.toDataURL("image/jpeg", 0.8).split(",")[1]);
      };
      img.onerror = function () { reject(new Error("无法读取图片")); };
      img.src = URL.createObjectURL(file);
    });
  }
  document.querySelectorAll(".photo-input").forEach(function (input) {
    var field = input.form.querySelector(".photos-field");
    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files, 0, 9);
      if (input.files.length > 9) alert("照片最多9张，只取前9张");
      Promise.all(files.map(shrink)).then(function (list) {
        field.value = JSON.stringify(list);
      }).catch(function (e) { alert(e.message); field.value = ""; });
    });
  });
})();

// Reporting forms: a key per report, so that sending again after the network drops registers
// it once; the form is sent by script and retried with backoff while the network is down.
(function () {
  var form = document.getElementById("order-form");
  var key = document.getElementById("client_key");
  if (!form || !key || !window.fetch || !window.FormData) return;
  if (!key.value) {
    key.value = (window.crypto && crypto.randomUUID) ? crypto.randomUUID()
      : String(Date.now()) + "-" + Math.random().toString(16).slice(2);
  }
  var status = document.getElementById("send-status");
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var body = new URLSearchParams(new FormData(form));
    // Which button was pressed (保存并登记下一件) travels with the form.
    if (ev.submitter && ev.submitter.name) { body.append(ev.submitter.name, ev.submitter.value); }
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    var attempt = 0;
    function send() {
      attempt += 1;
      fetch(form.action, { method: "POST", body: body, credentials: "same-origin" })
        .then(function (r) {
          if (r.redirected) { location.href = r.url; return; }
          return r.text().then(function (html) {
            document.open(); document.write(html); document.close();
          });
        })
        .catch(function () {
          var wait = Math.min(30, Math.pow(2, attempt));
          if (status) status.textContent = "网络中断，" + wait + "秒后自动重试（第" + attempt + "次）……内容不会重复提交。";
          setTimeout(send, wait * 1000);
        });
    }
    send();
  });
})();

// Order page: the reporter's full number on request (the view is audited).
(function () {
  var b = document.getElementById("reveal-phone");
  if (!b) return;
  b.addEventListener("click", function () {
    fetch("/api/v1/work-orders/" + b.dataset.order + "/reporter-phone", { credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (d) { return [r.ok, d]; }); })
      .then(function (x) {
        if (x[0]) { document.getElementById("reporter-phone").textContent = x[1].phone; b.hidden = true; }
        else { alert(x[1].message || "无法查看"); }
      }).catch(function () { alert("网络错误，请重试"); });
  });
})();

// Behaviour that pages used to carry inline (the Content-Security-Policy forbids inline
// script): print buttons, and forms that scripts submit.
document.querySelectorAll("[data-print]").forEach((b) =>
  b.addEventListener("click", () => window.print()),
);
document.querySelectorAll("form[data-js-form]").forEach((f) =>
  f.addEventListener("submit", (e) => e.preventDefault()),
);

// 查找分类 and the like: narrows the select it names to the options containing what was typed.
document.querySelectorAll("input[data-narrows]").forEach(function (input) {
  var select = document.getElementById(input.dataset.narrows);
  if (!select) { return; }
  input.addEventListener("input", function () {
    var q = input.value.trim();
    select.querySelectorAll("option").forEach(function (o) {
      o.hidden = o.value !== "" && q !== "" && o.textContent.indexOf(q) < 0;
    });
  });
});

// 查找单位: narrows a unit picker to the names containing what was typed.
document.querySelectorAll(".unit-filter").forEach(function (input) {
  var form = input.closest("form");
  var select = form && form.querySelector(".unit-picker");
  if (!select) { return; }
  input.addEventListener("input", function () {
    var q = input.value.trim();
    select.querySelectorAll("option").forEach(function (o) {
      o.hidden = o.value !== "" && q !== "" && o.textContent.indexOf(q) < 0;
    });
  });
});

// A grid's new boundary: the chosen GeoJSON file's text goes with the form.
(function () {
  var file = document.getElementById("geojson-file");
  var text = document.getElementById("geojson");
  var status = document.getElementById("geojson-status");
  if (!file || !text) return;
  file.addEventListener("change", function () {
    var f = file.files && file.files[0];
    text.value = "";
    if (!f) return;
    if (f.size > 2 * 1024 * 1024) { status.textContent = "文件超过2MB，请只导出这一个网格的边界"; file.value = ""; return; }
    var r = new FileReader();
    r.onload = function () { text.value = r.result; status.textContent = "已读取 " + f.name + "，保存后生效"; };
    r.onerror = function () { status.textContent = "无法读取文件"; };
    r.readAsText(f);
  });
})();

// 在地图上点选: a tap on the map gives the place — the grid's village in the list, and the
// point's coordinates (the drawing's projection turned back), for the preview and the report.
(function () {
  var box = document.getElementById("map-pick");
  if (!box) return;
  var svg = box.querySelector("svg");
  var form = box.closest("form");
  if (!svg || !form) return;
  var mark = null;
  svg.addEventListener("click", function (e) {
    var shape = e.target.closest("a.grid-shape");
    if (!shape) return;
    e.preventDefault();
    var pt = svg.createSVGPoint();
    pt.x = e.clientX; pt.y = e.clientY;
    var p = pt.matrixTransform(svg.getScreenCTM().inverse());
    var lon = p.x / parseFloat(svg.dataset.kx) + parseFloat(svg.dataset.west);
    var lat = parseFloat(svg.dataset.north) - p.y / parseFloat(svg.dataset.ky);
    var village = form.querySelector("[name=village_code]");
    if (village) { village.value = shape.dataset.village; }
    var la = form.querySelector("[name=lat]"), lo = form.querySelector("[name=lon]");
    if (la && lo) { la.value = lat.toFixed(6); lo.value = lon.toFixed(6); }
    if (!mark) {
      mark = document.createElementNS("http://www.w3.org/2000/svg", "circle");
      mark.setAttribute("r", "12");
      mark.setAttribute("class", "map-marker");
      svg.appendChild(mark);
    }
    mark.setAttribute("cx", p.x); mark.setAttribute("cy", p.y);
    document.getElementById("map-picked").textContent = "已选：" + shape.dataset.name;
    if (village) { village.dispatchEvent(new Event("change")); }
  });
})();
