// The exported models: their index (models/models.json, written by `make tryit-assets`),
// their descriptions (models/NAME.json) and ONNX Runtime sessions (models/NAME.onnx).

/** Base URL of the page's static files (this folder). */
const HERE = new URL("./", import.meta.url);

/** Fetch a JSON file of this folder; a missing file gets a message saying how to make it. */
async function fetchJson(path) {
  const response = await fetch(new URL(path, HERE));
  if (!response.ok) {
    throw new Error(
      `${path} could not be loaded (HTTP ${response.status}); build the site with ` +
        "`make book` or `make site`, whose tryit-assets step exports the models.",
    );
  }
  return response.json();
}

/**
 * The index and every model's description.
 *
 * @returns {Promise<{default: string, models: object[], samples: object[]}>} models holds
 *   each model's JSON (name, inputs, channels, needs_noise_map, size_multiple, ...).
 */
export async function loadCatalogue() {
  const index = await fetchJson("models/models.json");
  const models = await Promise.all(
    index.models.map((name) => fetchJson(`models/${encodeURIComponent(name)}.json`)),
  );
  return { default: index.default, models, samples: index.samples || [] };
}

/**
 * The model to preselect for an image: for a colour image a colour model when one exists
 * (the default if it is one), else the default gray model.
 *
 * @param {object[]} models - Model descriptions.
 * @param {string} preferred - The index's default model.
 * @param {number} imageChannels - 1 or 3.
 * @returns {object} A model description.
 */
export function chooseModel(models, preferred, imageChannels) {
  const byName = new Map(models.map((model) => [model.name, model]));
  const usable = models.filter((model) => model.channels === 1 || model.channels === imageChannels);
  const fallback = byName.get(preferred) ?? usable[0] ?? models[0];
  if (imageChannels === 3 && fallback.channels !== 3) {
    return usable.find((model) => model.channels === 3) ?? fallback;
  }
  return usable.includes(fallback) ? fallback : usable[0] ?? fallback;
}

/** Hex SHA-256 of bytes, or null where the browser offers no crypto.subtle (plain http). */
async function sha256Hex(bytes) {
  if (!globalThis.crypto?.subtle) return null;
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

const sessions = new Map();

/**
 * An ONNX Runtime session for a model, created once and kept.
 *
 * The file's SHA-256 is checked against the description first, where the browser can.
 *
 * @param {object} ort - The onnxruntime-web module.
 * @param {object} meta - The model's description.
 * @returns {Promise<object>} The InferenceSession.
 */
export async function sessionFor(ort, meta) {
  if (!sessions.has(meta.name)) {
    const create = async () => {
      const path = `models/${encodeURIComponent(meta.name)}.onnx`;
      const response = await fetch(new URL(path, HERE));
      if (!response.ok) throw new Error(`${path} could not be loaded (HTTP ${response.status})`);
      const bytes = await response.arrayBuffer();
      const digest = await sha256Hex(bytes);
      if (digest && meta.sha256 && digest !== meta.sha256) {
        throw new Error(`${path} does not match the sha256 of ${meta.name}.json; rebuild it`);
      }
      return ort.InferenceSession.create(new Uint8Array(bytes), {
        executionProviders: ["wasm"],
        graphOptimizationLevel: "all",
        logSeverityLevel: 3,
      });
    };
    const pending = create();
    sessions.set(meta.name, pending);
    pending.catch(() => sessions.delete(meta.name));
  }
  return sessions.get(meta.name);
}
