// The Try it page: choose a photo, a model and sigma; denoise it in this browser with
// ONNX Runtime Web (WebAssembly); compare and download. Nothing is sent anywhere: the
// page loads its own static files (the runtime and the models) from this site only.

import { CancelledError, denoiseImage, planRun } from "./denoise.js";
import { ImageError, decodeImage } from "./image.js";
import { chooseModel, loadCatalogue, sessionFor } from "./models.js";
import { estimateNoiseLevel } from "./sigma.js";
import { PREVIEW_SIDE, drawCrop, drawOverview, pixelsToCanvas, pngBlob } from "./view.js";

const $ = (id) => document.getElementById(`tryit-${id}`);

const state = {
  ort: null,
  catalogue: null,
  image: null, // {name, width, height, channels, rgba, notes}
  before: null, // overview canvas of the noisy image
  result: null, // {rgba, after, model, sigma, estimated, plan, seconds}
  focus: null, // crop centre in image pixels
  running: false,
  cancel: false,
};

function say(text) {
  $("status").textContent = text;
}

function complain(text) {
  $("message").textContent = text;
  $("message").hidden = !text;
}

function selectedModel() {
  return state.catalogue.models.find((model) => model.name === $("model").value);
}

function describeSize({ width, height, channels }) {
  return `${width} × ${height}, ${channels === 1 ? "gray" : "colour"}`;
}

/** Enable what can be used now; say what the chosen model does with sigma. */
function refreshControls() {
  const ready = Boolean(state.catalogue) && !state.running;
  $("file").disabled = !ready;
  for (const button of $("samples").querySelectorAll("button")) button.disabled = !ready;
  $("model").disabled = !ready;
  $("run").disabled = !ready || !state.image;
  $("cancel").hidden = !state.running;
  $("download").hidden = !state.result || state.running;
  $("tile").disabled = !ready;
  const model = state.catalogue && selectedModel();
  if (!model) return;
  const channels = state.image?.channels;
  for (const option of $("model").options) {
    const meta = state.catalogue.models.find((m) => m.name === option.value);
    option.disabled = channels === 1 && meta.channels === 3;
  }
  const usesSigma = model.needs_noise_map;
  $("sigma-set").disabled = !ready || !usesSigma;
  $("sigma").disabled = !ready || !usesSigma || $("estimate").checked;
  const range = model.sigma_range;
  let note = model.description || "";
  if (!usesSigma) {
    note +=
      range && range[0] === range[1]
        ? `. It has no noise-level input: it removes noise of sigma ${range[0]} only.`
        : ". It has no noise-level input.";
  }
  if (model.channels === 1 && channels === 3) {
    note += " A gray model: the photo's red, green and blue channels go through it one at a time.";
  }
  $("model-note").textContent = note;
}

function showSigma() {
  $("sigma-value").textContent = $("estimate").checked ? "estimated" : $("sigma").value;
}

async function drawView() {
  if (!state.image || !state.before) return;
  const { image, before, result } = state;
  const scale = before.width / image.width;
  const zoom = Number($("zoom").value);
  const focus = state.focus ?? { x: image.width / 2, y: image.height / 2 };
  const crop = drawCrop($("crop-before"), image, focus.x, focus.y, zoom);
  if (result) drawCrop($("crop-after"), { ...image, rgba: result.rgba }, focus.x, focus.y, zoom);
  else {
    const canvas = $("crop-after");
    canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
  }
  const square = {
    x: (crop.left + crop.side / 2) * scale,
    y: (crop.top + crop.side / 2) * scale,
    side: crop.side * scale,
  };
  $("split").disabled = !result;
  const split = Number($("split").value) / 100;
  drawOverview($("overview"), before, result?.after ?? null, split, square);
  $("view").hidden = false;
}

async function useImage(file, name) {
  complain("");
  state.result = null;
  state.image = null;
  state.before = null;
  state.focus = null;
  $("view").hidden = true;
  $("progress").hidden = true;
  say(`Reading ${name}…`);
  try {
    const image = await decodeImage(file, name);
    state.image = { name, ...image };
    state.before = await pixelsToCanvas(image, image.rgba, PREVIEW_SIDE);
  } catch (error) {
    say("");
    const problem = `${name} could not be read: ${error.message}`;
    complain(error instanceof ImageError ? error.message : problem);
    refreshControls();
    return;
  }
  const { catalogue, image } = state;
  $("model").value = chooseModel(catalogue.models, catalogue.default, image.channels).name;
  refreshControls();
  const notes = image.notes.length ? ` ${image.notes.join(" ")}` : "";
  say(`${name}: ${describeSize(image)}. Press Denoise.${notes}`);
  await drawView();
}

async function run() {
  const { image } = state;
  const model = selectedModel();
  complain("");
  state.running = true;
  state.cancel = false;
  state.result = null;
  refreshControls();
  const progress = $("progress");
  progress.hidden = false;
  progress.removeAttribute("value"); // indeterminate while the model loads
  try {
    let sigma = null;
    let estimated = false;
    if (model.needs_noise_map) {
      estimated = $("estimate").checked;
      sigma = estimated
        ? estimateNoiseLevel(image.rgba, image.height, image.width, image.channels, 4)
        : Number($("sigma").value);
      if (estimated) $("sigma-value").textContent = sigma.toFixed(1);
    }
    const tile = Number($("tile").value);
    const plan = planRun(image, model, tile);
    progress.max = plan.total;
    say(`Loading ${model.name}…`);
    const session = await sessionFor(state.ort, model);
    progress.value = 0;
    say(`Denoising with ${model.name}: 0 of ${plan.total} tiles…`);
    const start = performance.now();
    const { rgba } = await denoiseImage({
      session,
      Tensor: state.ort.Tensor,
      meta: model,
      image,
      sigma,
      tile,
      onProgress: (done, total) => {
        progress.value = done;
        const left = ((performance.now() - start) / 1000 / done) * (total - done);
        const eta = done < total ? ` (about ${formatSeconds(left)} left)` : "";
        say(`Denoising with ${model.name}: ${done} of ${total} tiles${eta}…`);
      },
      cancelled: () => state.cancel,
    });
    const seconds = (performance.now() - start) / 1000;
    const after = await pixelsToCanvas(image, rgba, PREVIEW_SIDE);
    state.result = { rgba, after, model: model.name, sigma, estimated, plan, seconds };
    say(summary(state.result));
    await drawView();
  } catch (error) {
    progress.hidden = true;
    if (error instanceof CancelledError) say(`Cancelled: ${error.message}.`);
    else {
      say("");
      complain(`Denoising failed: ${error.message}`);
    }
  } finally {
    state.running = false;
    refreshControls();
  }
}

/** "40 s", "3 min", "1 h 5 min": a rough duration for the reader. */
function formatSeconds(seconds) {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 90 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function summary({ model, sigma, estimated, plan, seconds }) {
  const { image } = state;
  const tiles = plan.windows.length;
  const tileWidth = Math.min(plan.tile, plan.paddedWidth);
  const side = `${tileWidth} × ${Math.min(plan.tile, plan.paddedHeight)}`;
  const channels = plan.groups.length;
  const passes = channels > 1 ? `, for each of the ${channels} colour channels` : "";
  const level =
    sigma === null
      ? "no sigma input (a model for one noise level)"
      : `sigma ${sigma.toFixed(1)}${estimated ? " (estimated from the photo)" : " (chosen)"}`;
  return (
    `Denoised ${image.name} (${describeSize(image)}) with ${model}, ${level}, in ` +
    `${tiles} tile${tiles === 1 ? "" : "s"} of ${side} pixels ` +
    `(overlap ${plan.overlap})${passes}, ` +
    `in ${seconds.toFixed(2)} s. Everything ran in this browser; nothing was uploaded.` +
    (image.notes.length ? ` ${image.notes.join(" ")}` : "")
  );
}

async function download() {
  const { image, result } = state;
  const blob = await pngBlob(image, result.rgba);
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `${image.name.replace(/\.[^.]*$/, "")}-denoised-${result.model}.png`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

function focusAt(event) {
  if (!state.image) return;
  const box = $("overview").getBoundingClientRect();
  state.focus = {
    x: ((event.clientX - box.left) / box.width) * state.image.width,
    y: ((event.clientY - box.top) / box.height) * state.image.height,
  };
  drawView();
}

function moveFocus(event) {
  const steps = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  const step = steps[event.key];
  if (!step || !state.image) return;
  event.preventDefault();
  const { width, height } = state.image;
  const focus = state.focus ?? { x: width / 2, y: height / 2 };
  const distance = $("crop-before").width / Number($("zoom").value) / 2;
  state.focus = {
    x: Math.min(Math.max(focus.x + step[0] * distance, 0), width),
    y: Math.min(Math.max(focus.y + step[1] * distance, 0), height),
  };
  drawView();
}

function wire() {
  $("file").addEventListener("change", () => {
    const file = $("file").files[0];
    if (file) useImage(file, file.name);
  });
  const drop = $("drop");
  drop.addEventListener("dragover", (event) => {
    event.preventDefault();
    drop.classList.add("tryit-dragging");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("tryit-dragging"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("tryit-dragging");
    const file = event.dataTransfer.files[0];
    if (file && !state.running) useImage(file, file.name);
  });
  $("model").addEventListener("change", refreshControls);
  $("estimate").addEventListener("change", () => {
    showSigma();
    refreshControls();
  });
  $("sigma").addEventListener("input", showSigma);
  $("run").addEventListener("click", run);
  $("cancel").addEventListener("click", () => {
    state.cancel = true;
  });
  $("download").addEventListener("click", download);
  $("split").addEventListener("input", drawView);
  $("zoom").addEventListener("change", drawView);
  $("overview").addEventListener("click", focusAt);
  $("overview").addEventListener("keydown", moveFocus);
}

async function addSamples(samples) {
  for (const sample of samples) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = sample.label;
    button.addEventListener("click", async () => {
      const response = await fetch(new URL(sample.file, import.meta.url));
      if (!response.ok) {
        complain(`The sample ${sample.file} could not be loaded (HTTP ${response.status}).`);
        return;
      }
      useImage(await response.blob(), sample.file.split("/").pop());
    });
    $("samples").append(button);
  }
}

/** A handle for tests and the benchmark: the state and the result as a PNG data URL. */
window.deepdenoiseTryIt = {
  get ready() {
    return Boolean(state.catalogue) && !state.running;
  },
  get running() {
    return state.running;
  },
  get image() {
    if (!state.image) return null;
    const { name, width, height, channels } = state.image;
    return { name, width, height, channels };
  },
  get result() {
    if (!state.result) return null;
    const { model, sigma, estimated, seconds, plan } = state.result;
    return { model, sigma, estimated, seconds, tiles: plan.windows.length, passes: plan.total };
  },
  async resultDataURL() {
    const blob = await pngBlob(state.image, state.result.rgba);
    return new Promise((resolve) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result);
      reader.readAsDataURL(blob);
    });
  },
};

async function start() {
  wire();
  showSigma();
  try {
    const ort = await import("./ort/ort.wasm.min.mjs");
    ort.env.wasm.wasmPaths = new URL("./ort/", import.meta.url).href;
    // Threads need a cross-origin-isolated page (SharedArrayBuffer); else one thread.
    ort.env.wasm.numThreads = globalThis.crossOriginIsolated
      ? Math.min(4, navigator.hardwareConcurrency || 1)
      : 1;
    ort.env.logLevel = "error";
    state.ort = ort;
    state.catalogue = await loadCatalogue();
  } catch (error) {
    complain(
      `The page's inference files are missing (${error.message}). They are made when ` +
        "the site is built with `make book` or `make site`.",
    );
    return;
  }
  for (const model of state.catalogue.models) {
    const option = document.createElement("option");
    option.value = model.name;
    option.textContent = `${model.name} (${model.channels === 3 ? "colour" : "gray"})`;
    $("model").append(option);
  }
  $("model").value = chooseModel(state.catalogue.models, state.catalogue.default, 1).name;
  await addSamples(state.catalogue.samples);
  refreshControls();
  say("Choose a photo, drop one here or try a sample.");
}

start();
