// Continuous camera scanning: read ISBN barcodes with BarcodeDetector (native,
// or the vendored ZXing-wasm polyfill), queue each new one, and show its title
// and whether it is already in the library as soon as the server knows.
(function () {
  "use strict";

  const root = document.getElementById("camera-scanner");
  if (!root) return;
  const video = document.getElementById("camera-video");
  const queue = document.getElementById("camera-queue");
  const count = document.getElementById("camera-count");
  const addAll = document.getElementById("camera-add-all");
  const status = document.getElementById("camera-status");
  const startButton = document.getElementById("camera-start");
  const stopButton = document.getElementById("camera-stop");
  const seen = new Set();
  let stream = null;
  let detector = null;

  function unavailable() {
    document.getElementById("camera-unavailable").classList.remove("d-none");
    startButton.disabled = true;
  }

  function isIsbn(code) {
    return /^97[89]\d{10}$/.test(code);
  }

  function updateCount() {
    count.textContent = String(seen.size);
    addAll.disabled = !queue.querySelector("input[type=checkbox]:checked");
  }

  function queueItem(isbn) {
    const item = document.createElement("li");
    item.className = "list-group-item d-flex gap-2 align-items-center";
    item.dataset.isbn = isbn;
    const box = document.createElement("input");
    box.type = "checkbox";
    box.className = "form-check-input";
    box.name = "isbns";
    box.value = isbn;
    box.checked = true;
    box.id = "scan-" + isbn;
    box.addEventListener("change", updateCount);
    const label = document.createElement("label");
    label.className = "form-check-label flex-grow-1";
    label.htmlFor = box.id;
    label.textContent = isbn + " — looking it up…";
    item.append(box, label);
    return item;
  }

  // The first look stores the edition and asks for its details (a POST, with
  // the page's CSRF token); the polling after it only reads.
  function lookup(isbn, attempt) {
    const url = root.dataset.lookupUrl;
    if (attempt > 0) {
      return fetch(url + "?isbn=" + encodeURIComponent(isbn), { credentials: "same-origin" });
    }
    const token = document.querySelector("#camera-queue-form [name=csrfmiddlewaretoken]");
    const body = new URLSearchParams({ isbn: isbn });
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token ? token.value : "" },
      body: body,
    });
  }

  async function describe(item, attempt) {
    const isbn = item.dataset.isbn;
    let data;
    try {
      const response = await lookup(isbn, attempt);
      data = await response.json();
    } catch (error) {
      data = null;
    }
    const label = item.querySelector("label");
    if (!data || data.error) {
      label.textContent = isbn + " — " + (data ? data.error : "could not be looked up");
      return;
    }
    if (data.owned) {
      const box = item.querySelector("input");
      box.checked = false;
      box.disabled = true;
      const link = document.createElement("a");
      link.href = data.url;
      link.textContent = "already in your library";
      label.textContent = (data.title || isbn) + " — ";
      label.append(link);
      item.classList.add("list-group-item-success");
    } else if (data.title) {
      const authors = data.authors && data.authors.length ? " — " + data.authors.join(", ") : "";
      label.textContent = data.title + authors;
    } else if (data.status === "pending" && attempt < 30) {
      window.setTimeout(() => describe(item, attempt + 1), 2000);
    } else {
      label.textContent = isbn + " — no details found (it can still be added)";
    }
    updateCount();
  }

  function found(code) {
    if (!isIsbn(code) || seen.has(code)) return;
    seen.add(code);
    const item = queueItem(code);
    queue.prepend(item);
    status.textContent = "Read " + code;
    if (navigator.vibrate) navigator.vibrate(80);
    updateCount();
    describe(item, 0);
  }

  async function scanLoop() {
    if (!stream) return;
    try {
      if (video.readyState >= 2) {
        const codes = await detector.detect(video);
        codes.forEach((code) => found(code.rawValue));
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
