// The intent service again, in Node: Express + onnxruntime-node + transformers.js, written the way
// many first versions are. `npm run demo` shows what Inference Lens flags here:
//   JS003 on the start-up session (no options), JS001 on the per-request session and pipeline,
//   JS002 on the one-by-one batch loop, JS004 on the full-precision pipeline.
const path = require('path');
const express = require('express');
const ort = require('onnxruntime-node');
const { pipeline } = require('@huggingface/transformers');

const MODEL = path.join(__dirname, '..', 'models', 'intent_classifier.onnx');
const app = express();
app.use(express.json());

// Loaded once at start-up: fine, but thread count and providers are left to defaults.
const intentSession = ort.InferenceSession.create(MODEL);

function featurize(text) {
  const vec = new Float32Array(128);
  for (const token of text.toLowerCase().split(/\s+/)) vec[hash(token) % 128] += 1;
  return new ort.Tensor('float32', vec, [1, 128]);
}

function hash(s) {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) >>> 0;
  return h;
}

app.post('/intent', async (req, res) => {
  const session = await intentSession;
  const { probabilities } = await session.run({ features: featurize(req.body.text) });
  res.json({ intent: probabilities.data.indexOf(Math.max(...probabilities.data)) });
});

app.post('/intent/v2', async (req, res) => {
  // A new session for every request: weights are read and the graph optimised each time.
  const session = await ort.InferenceSession.create(MODEL, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  const { probabilities } = await session.run({ features: featurize(req.body.text) });
  res.json({ intent: probabilities.data.indexOf(Math.max(...probabilities.data)) });
});

app.post('/intent/batch', async (req, res) => {
  const session = await intentSession;
  const intents = [];
  for (const text of req.body.texts) {
    const { probabilities } = await session.run({ features: featurize(text) });
    intents.push(probabilities.data.indexOf(Math.max(...probabilities.data)));
  }
  res.json({ intents });
});

app.post('/sentiment', async (req, res) => {
  const classifier = await pipeline('sentiment-analysis', 'Xenova/distilbert-base-uncased-finetuned-sst-2-english', {
    dtype: 'fp32',
  });
  res.json(await classifier(req.body.text));
});

app.listen(process.env.PORT || 3000);
