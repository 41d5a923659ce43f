// Continuous camera scanning: read ISBN barcodes with BarcodeDetector (native,
// or the vendored ZXing-wasm polyfill) and add each new one to the library in
// the background, so the camera keeps scanning. Every code read is announced
// as a "barcode-detected" event on the scanner; the adding listens to it.
(function () {
  "use strict";

  const POLL_MS = 2000;
  const POLL_TIMES = 150; // five minutes of asking for a book's details
  const REPEAT_QUIET_MS = 3000; // the same barcode held up is read many times

  const root = document.getElementById("camera-scanner");
  if (!root) return;
  const video = document.getElementById("camera-video");
  const list = document.getElementById("camera-added");
  const count = document.getElementById("camera-count");
  const message = document.getElementById("camera-message");
  const status = document.getElementById("camera-status");
  const statusChoice = document.getElementById("camera-add-status");
  const startButton = document.getElementById("camera-start");
  const stopButton = document.getElementById("camera-stop");
  const handled = new Map(); // code -> what became of it ("adding", "added", ...)
  let last = { code: "", at: 0 };
  let stream = null;
  let detector = null;

  function unavailable() {
    document.getElementById("camera-unavailable").classList.remove("d-none");
    startButton.disabled = true;
  }

  function isIsbn(code) {
    return /^97[89]\d{10}$/.test(code);
  }

  function say(text, kind) {
    message.textContent = text;
    message.className = "alert alert-" + (kind || "secondary");
  }

  function csrfToken() {
    const token = root.querySelector("[name=csrfmiddlewaretoken]");
    return token ? token.value : "";
  }

  function listItem(isbn) {
    const item = document.createElement("li");
    item.className = "list-group-item";
    item.dataset.isbn = isbn;
    const title = document.createElement("a");
    title.className = "camera-title fw-semibold";
    title.textContent = "ISBN " + isbn;
    const authors = document.createElement("span");
    authors.className = "camera-authors small";
    const note = document.createElement("div");
    note.className = "camera-note small text-body-secondary";
    note.textContent = "Adding…";
    item.append(title, authors, note);
    return item;
  }

  // Title (else ISBN), authors and a note on its details, from the server's answer.
  function show(item, data, noteText) {
    const title = item.querySelector(".camera-title");
    title.textContent = data.title || "ISBN " + item.dataset.isbn;
    if (data.url) title.href = data.url;
    const authors = data.authors && data.authors.length ? " — " + data.authors.join(", ") : "";
    item.querySelector(".camera-authors").textContent = authors;
    const note = item.querySelector(".camera-note");
    if (data.trouble) {
      note.textContent = noteText + ". " + data.trouble + "; we keep trying.";
      note.className = "camera-note small text-warning-emphasis";
    } else if (data.status === "pending") {
      note.textContent = noteText + ". Fetching details…";
      note.className = "camera-note small text-body-secondary";
    } else {
      note.textContent = noteText + ".";
      note.className = "camera-note small text-body-secondary";
    }
  }

  // Details are fetched in the background: ask again while they are pending.
  async function follow(item, noteText, times) {
    if (times >= POLL_TIMES) return;
    let data = null;
    try {
      const url = root.dataset.lookupUrl + "?isbn=" + encodeURIComponent(item.dataset.isbn);
      const response = await fetch(url, { credentials: "same-origin" });
      data = response.ok ? await response.json() : null;
    } catch (error) {
      data = null; // a network blip: try again at the next turn
    }
    if (data) show(item, data, noteText);
    if (!data || data.status === "pending") {
      window.setTimeout(() => follow(item, noteText, times + 1), POLL_MS);
    }
  }

  async function add(isbn) {
    handled.set(isbn, "adding");
    const item = listItem(isbn);
    list.prepend(item);
    let response = null;
    let data = null;
    try {
      response = await fetch(root.dataset.addUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken() },
        body: new URLSearchParams({ isbn: isbn, status: statusChoice.value }),
      });
      data = await response.json();
    } catch (error) {
      data = null;
    }
    if (!response || !data || (!response.ok && !data.error)) {
      item.remove();
      handled.delete(isbn); // scanning it again tries again
      say(
        "Could not add " + isbn + ": the connection or your login may have lapsed. " +
          "Reload the page and scan it again.",
        "warning",
      );
      return;
    }
    if (data.error) {
      item.remove();
      handled.set(isbn, "refused");
      say(data.error, "warning");
      return;
    }
    const noteText = data.already ? "Already in your library" : "Added";
    handled.set(isbn, data.already ? "already" : "added");
    if (data.already) item.classList.add("list-group-item-success");
    show(item, data, noteText);
    const added = Array.from(handled.values()).filter((what) => what === "added");
    count.textContent = String(added.length);
    say(data.message, data.already ? "info" : "success");
    if (data.status === "pending") window.setTimeout(() => follow(item, noteText, 0), POLL_MS);
  }

  function repeated(code) {
    const what = handled.get(code);
    if (what === "added" || what === "already") {
      const item = list.querySelector('li[data-isbn="' + code + '"] .camera-title');
      const title = item ? item.textContent : "ISBN " + code;
      const name = title.startsWith("ISBN ") ? title : "“" + title + "”";
      say(name + " is already in your library.", "info");
    }
  }

  function found(code) {
    const now = Date.now();
    const again = code === last.code && now - last.at < REPEAT_QUIET_MS;
    last = { code: code, at: now };
    if (again) return;
    if (!isIsbn(code)) {
      say(
        "The barcode " + code + " is not an ISBN: books’ barcodes start with 978 or 979. " +
          "Look for another barcode on the book.",
        "warning",
      );
      return;
    }
    if (navigator.vibrate) navigator.vibrate(80);
    status.textContent = "Read " + code;
    if (handled.has(code)) {
      repeated(code);
      return;
    }
    add(code);
  }

  root.addEventListener("barcode-detected", (event) => found(String(event.detail.code)));

  function announce(code) {
    root.dispatchEvent(new CustomEvent("barcode-detected", { detail: { code: code } }));
  }

  async function scanLoop() {
    if (!stream) return;
    try {
      if (video.readyState >= 2) {
        const codes = await detector.detect(video);
        codes.forEach((code) => announce(code.rawValue));
      }
    } catch (error) {
      status.textContent = "Scanning hiccup: " + error.message;
    }
    window.setTimeout(scanLoop, 250);
  }

  async function start() {
    if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      unavailable();
      return;
    }
    if (window.BarcodeDetectionAPI && window.BarcodeDetectionAPI.setZXingModuleOverrides) {
      // Serve the decoder's wasm from our own static files, never a CDN.
      const wasmUrl = root.dataset.wasmUrl;
      window.BarcodeDetectionAPI.setZXingModuleOverrides({
        locateFile: (path, prefix) => (path.endsWith(".wasm") ? wasmUrl : prefix + path),
      });
    }
    try {
      detector = new window.BarcodeDetector({ formats: ["ean_13"] });
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "environment" },
        audio: false,
      });
    } catch (error) {
      unavailable();
      return;
    }
    video.srcObject = stream;
    await video.play();
    startButton.classList.add("d-none");
    stopButton.classList.remove("d-none");
    status.textContent = "Scanning…";
    scanLoop();
  }

  function stop() {
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    startButton.classList.remove("d-none");
    stopButton.classList.add("d-none");
    status.textContent = "Stopped.";
  }

  startButton.addEventListener("click", start);
  stopButton.addEventListener("click", stop);
  if (!window.isSecureContext || !navigator.mediaDevices) unavailable();
})();
