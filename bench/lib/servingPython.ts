/**
 * A generated Python serving file for the code benchmarks: handlers of several frameworks, loops,
 * comprehensions, models; about 50 lines per unit, repeated (with fresh names) up to `lines` lines.
 */

/** Realistic serving code: handlers of several frameworks, loops, models; about 50 lines per unit. */
function unit(i: number): string {
  return `
@app.post("/classify_${i}")
def classify_${i}(req: Review):
    tokenizer = AutoTokenizer.from_pretrained(MODEL_ID)
    inputs = tokenizer(req.text, return_tensors="pt", truncation=True)
    logits = model(**inputs).logits
    return {"label": int(logits.argmax())}


@app.post("/embed_${i}")
async def embed_${i}(texts: list[str]):
    vectors = [encoder.encode(t) for t in texts]
    return {"vectors": [v.tolist() for v in vectors]}


class Handler${i}(BaseHandler):
    def initialize(self, context):
        self.model = torch.load("model_${i}.pt")
        self.session = ort.InferenceSession("model_${i}.onnx")

    def inference(self, data):
        with torch.inference_mode():
            return self.model(data)

    def postprocess(self, out):
        return [o.argmax().item() for o in out]


def batch_job_${i}(paths):
    results = []
    for p in paths:
        x = np.load(p)[None].astype(np.float32)
        results.append(session.run(None, {"x": x})[0])
    mean = torch.tensor([0.485, 0.456, 0.406], device="cuda")
    return results, mean


@serve.deployment
class Deployment${i}:
    def __init__(self):
        self.pipe = pipeline("text-classification")

    async def __call__(self, request):
        body = await request.json()
        return self.pipe(body["text"])
`;
}

export function generateServingPython(lines: number): string {
  let text = [
    'import numpy as np', 'import onnxruntime as ort', 'import torch', 'from fastapi import FastAPI', 'from pydantic import BaseModel',
    'from ray import serve', 'from sentence_transformers import SentenceTransformer',
    'from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline',
    'from ts.torch_handler.base_handler import BaseHandler', '', 'app = FastAPI()', 'MODEL_ID = "distilbert-base-uncased"',
    'model = AutoModelForSequenceClassification.from_pretrained(MODEL_ID)', 'encoder = SentenceTransformer("all-MiniLM-L6-v2")',
    'session = ort.InferenceSession("model.onnx", providers=["CPUExecutionProvider"])', '', '',
  ].join('\n');
  for (let i = 0; text.split('\n').length < lines; i++) text += unit(i);
  return text.split('\n').slice(0, lines).join('\n') + '\n';
}
