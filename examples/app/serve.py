"""A small intent-classification service, written the way many first versions are.

Inference Lens flags the loads that happen on every request (PY001) and leaves the
module-level ones alone. Run `npm run demo` to see the findings.
"""
import numpy as np
import onnxruntime as ort
from fastapi import FastAPI
from pydantic import BaseModel
from transformers import AutoModelForSequenceClassification, AutoTokenizer

app = FastAPI()

# Loaded once at start-up: fine.
tokenizer = AutoTokenizer.from_pretrained("distilbert-base-uncased")


class Query(BaseModel):
    text: str


@app.post("/intent")
def intent(query: Query):
    # A new ONNX Runtime session for every request: graph optimisation and weight loading each time.
    session = ort.InferenceSession("examples/models/intent_classifier.onnx")
    features = featurize(query.text)
    (probabilities,) = session.run(None, {"features": features})
    return {"intent": int(probabilities.argmax())}


@app.post("/sentiment")
def sentiment(query: Query):
    model = AutoModelForSequenceClassification.from_pretrained("distilbert-base-uncased-finetuned-sst-2-english")
    inputs = tokenizer(query.text, return_tensors="pt")
    return {"label": int(model(**inputs).logits.argmax())}


def featurize(text: str) -> np.ndarray:
    vec = np.zeros((1, 128), dtype=np.float32)
    for token in text.lower().split():
        vec[0, hash(token) % 128] += 1.0
    return vec


def score_files(paths):
    results = []
    for path in paths:
        # Reloaded for every file of the batch.
        session = ort.InferenceSession("examples/models/intent_classifier.onnx")
        results.append(session.run(None, {"features": featurize(open(path).read())}))
    return results
