/**
 * What Inference Lens knows about the libraries serving code calls, as data with a reason per entry:
 * which calls return a model (and of which kind), which model methods already run without autograd,
 * and which per-step hooks of generation run once per token by design. Rules and the binding analysis
 * read these tables; a new library is a new row here, not a new code path.
 */
import type { ModelKind } from './models';

export interface LoaderEntry {
  /** qualified name of the call (`transformers.pipeline`), through the file's imports */
  name: string;
  kind: ModelKind;
  /** the call returns a tuple whose first item is the model (`model, preprocess = clip.load(...)`) */
  tupleFirst?: true;
  reason: string;
}

/**
 * Kinds: torch (an nn.Module: needs no_grad and eval), hf-model (already in eval mode, needs no_grad),
 * pipeline / encoder (autograd off inside), ort (an ONNX Runtime session), other (a model object we
 * know nothing more about than that calling it runs inference).
 */
export const LOADERS: readonly LoaderEntry[] = [
  { name: 'onnxruntime.InferenceSession', kind: 'ort', reason: 'an ONNX Runtime session: building it loads and optimises the graph' },
  { name: 'transformers.pipeline', kind: 'pipeline', reason: 'a transformers pipeline: model + tokenizer, runs under no_grad' },
  { name: 'transformers.TextClassificationPipeline', kind: 'other', reason: 'a pipeline built from a loaded model' },
  { name: 'torch.load', kind: 'torch', reason: 'a pickled nn.Module (or weights)' },
  { name: 'torch.hub.load', kind: 'torch', reason: 'an nn.Module from a hub repository (YOLOv5 repositories are wrapped detectors: bindings.ts)' },
  { name: 'torch.jit.load', kind: 'torch', reason: 'a TorchScript module' },
  { name: 'torch.jit.script', kind: 'torch', reason: 'a TorchScript module' },
  { name: 'torch.export.load', kind: 'torch', reason: 'an exported program' },
  { name: 'timm.create_model', kind: 'torch', reason: 'a timm nn.Module, in train mode until .eval()' },
  { name: 'clip.load', kind: 'hf-model', tupleFirst: true, reason: 'OpenAI CLIP: (model, preprocess), the model already in eval mode' },
  { name: 'open_clip.create_model_and_transforms', kind: 'hf-model', tupleFirst: true, reason: 'OpenCLIP: (model, train transform, eval transform), model in eval mode' },
  { name: 'open_clip.create_model_from_pretrained', kind: 'hf-model', tupleFirst: true, reason: 'OpenCLIP: (model, preprocess), model in eval mode' },
  { name: 'sentence_transformers.SentenceTransformer', kind: 'encoder', reason: 'a sentence encoder; encode() runs under no_grad' },
  { name: 'sentence_transformers.CrossEncoder', kind: 'encoder', reason: 'a reranker; predict() runs under no_grad' },
  { name: 'FlagEmbedding.FlagModel', kind: 'encoder', reason: 'BGE embeddings; encode() runs under no_grad' },
  { name: 'FlagEmbedding.BGEM3FlagModel', kind: 'encoder', reason: 'BGE-M3 embeddings' },
  { name: 'FlagEmbedding.FlagReranker', kind: 'encoder', reason: 'BGE reranker; compute_score() runs under no_grad' },
  { name: 'FlagEmbedding.FlagLLMReranker', kind: 'encoder', reason: 'LLM reranker; compute_score() runs under no_grad' },
  { name: 'ultralytics.YOLO', kind: 'other', reason: 'ultralytics detector: predicts in eval mode without autograd' },
  { name: 'ultralytics.RTDETR', kind: 'other', reason: 'ultralytics detector' },
  { name: 'ultralytics.SAM', kind: 'other', reason: 'ultralytics segmenter' },
  { name: 'whisper.load_model', kind: 'other', reason: 'OpenAI Whisper; transcribe() runs without autograd' },
  { name: 'stable_whisper.load_model', kind: 'other', reason: 'Whisper with timestamps' },
  { name: 'faster_whisper.WhisperModel', kind: 'other', reason: 'CTranslate2 Whisper' },
  { name: 'whisperx.load_align_model', kind: 'other', reason: 'wav2vec2 alignment model' },
  { name: 'whisperx.DiarizationPipeline', kind: 'other', reason: 'pyannote diarization pipeline' },
  { name: 'whisperx.diarize.DiarizationPipeline', kind: 'other', reason: 'pyannote diarization pipeline' },
  { name: 'whisperx.load_model', kind: 'other', reason: 'faster-whisper ASR with VAD' },
  { name: 'pyannote.audio.Pipeline.from_pretrained', kind: 'other', reason: 'pyannote pipeline' },
  { name: 'nemo.collections.asr.models.ASRModel.from_pretrained', kind: 'other', reason: 'NeMo ASR model' },
  { name: 'ctranslate2.Translator', kind: 'other', reason: 'CTranslate2 seq2seq model' },
  { name: 'ctranslate2.Generator', kind: 'other', reason: 'CTranslate2 decoder model' },
  { name: 'vllm.LLM', kind: 'other', reason: 'a vLLM engine (loads and shards the weights)' },
  { name: 'llama_cpp.Llama', kind: 'other', reason: 'a llama.cpp model (maps the GGUF file)' },
  { name: 'chatglm_cpp.Pipeline', kind: 'other', reason: 'a chatglm.cpp model (reads the converted GGML weights)' },
  { name: 'tokenizers.Tokenizer.from_file', kind: 'other', reason: 'a Rust tokenizer read from disk' },
  { name: 'spacy.load', kind: 'other', reason: 'a spaCy pipeline' },
  { name: 'joblib.load', kind: 'other', reason: 'a pickled scikit-learn model' },
  { name: 'ChatTTS.Chat', kind: 'other', reason: 'ChatTTS text-to-speech (GPT + DVAE + vocoder; weights read by .load()); infer() runs them' },
  { name: 'xgboost.Booster', kind: 'other', reason: 'an XGBoost model' },
  { name: 'lightgbm.Booster', kind: 'other', reason: 'a LightGBM model' },
  { name: 'tensorflow.keras.models.load_model', kind: 'other', reason: 'a Keras model' },
  { name: 'keras.models.load_model', kind: 'other', reason: 'a Keras model' },
  { name: 'keras.saving.load_model', kind: 'other', reason: 'a Keras model' },
  { name: 'tensorflow.saved_model.load', kind: 'other', reason: 'a TensorFlow SavedModel' },
  { name: 'tflite_runtime.interpreter.Interpreter', kind: 'other', reason: 'a TFLite interpreter' },
  { name: 'tensorflow.lite.Interpreter', kind: 'other', reason: 'a TFLite interpreter' },
  { name: 'mlflow.pyfunc.load_model', kind: 'other', reason: 'an MLflow model' },
  { name: 'onnx.load', kind: 'other', reason: 'parses the whole ONNX file (weights included)' },
  ...['readNet', 'readNetFromDarknet', 'readNetFromONNX', 'readNetFromCaffe', 'readNetFromTensorflow', 'readNetFromTorch', 'readNetFromModelOptimizer'].map(
    (f): LoaderEntry => ({ name: `cv2.dnn.${f}`, kind: 'other', reason: 'an OpenCV DNN network: reads and parses the weights file' })),
  { name: 'gfpgan.GFPGANer', kind: 'other', reason: 'GFPGAN face restorer (loads its networks); enhance() runs it' },
  { name: 'gfpgan.utils.GFPGANer', kind: 'other', reason: 'GFPGAN face restorer' },
  { name: 'realesrgan.RealESRGANer', kind: 'other', reason: 'Real-ESRGAN upsampler (loads its network); enhance() runs it' },
  { name: 'basicsr.archs.rrdbnet_arch.RRDBNet', kind: 'other', reason: 'the ESRGAN generator network' },
  { name: 'easyocr.Reader', kind: 'other', reason: 'EasyOCR detector + recogniser; readtext() runs them' },
  { name: 'paddleocr.PaddleOCR', kind: 'other', reason: 'PaddleOCR pipeline; ocr() runs it' },
  { name: 'TTS.api.TTS', kind: 'other', reason: 'Coqui TTS model; tts() runs it' },
  { name: 'insightface.app.FaceAnalysis', kind: 'other', reason: 'insightface detector + recogniser' },
];

export const LOADER_BY_NAME: ReadonlyMap<string, LoaderEntry> = new Map(LOADERS.map((e) => [e.name, e]));

/** Loaders known by the shape of their name. */
export const LOADER_PATTERNS: readonly { pattern: RegExp; kind: ModelKind; reason: string }[] = [
  { pattern: /^diffusers\.\w*Pipeline\w*\.from_pretrained$/, kind: 'pipeline', reason: 'a diffusers pipeline (UNet/transformer + VAE + text encoders), runs under no_grad' },
  { pattern: /^langchain\w*(\.\w+)*\.(HuggingFaceEmbeddings|HuggingFaceBgeEmbeddings|HuggingFaceInstructEmbeddings)$/, kind: 'encoder', reason: 'LangChain wrappers of sentence-transformers' },
  { pattern: /^torchvision\.models\.(\w+\.)?[a-z]\w*$/, kind: 'torch', reason: 'a torchvision model constructor (weights downloaded or loaded), in train mode until .eval()' },
];

/** torchvision names under `models` that are not constructors. */
export const NOT_TORCHVISION_MODELS = /\.(get_weight|list_models|get_model_weights)$/;

/** `<package>.load_model(...)` of an imported package (whisper, whisperx, keras, mlflow, ...) loads a model. */
export const LOAD_MODEL_FUNCTION = /^[a-z_][\w]*(\.[a-z_]\w*)*\.load_model$/;
export const NOT_A_PACKAGE = /^(self|cls|os|json|pickle|torch)\./;

/** Model methods that already run without autograd, with the reason. */
export const AUTOGRAD_OFF_METHODS: ReadonlyMap<string, string> = new Map([
  ['generate', 'transformers decorates generate() with torch.no_grad()'],
  ['chat', 'the chat helpers of remote-code LLMs (ChatGLM, Qwen, InternLM, Baichuan) call generate() under no_grad or inference_mode'],
  ['stream_chat', 'as chat'],
  ['chat_stream', 'as chat'],
  ['stream_generate', 'as generate'],
  ['inference', 'the generation entry point of research models (Coqui XTTS decorates it with torch.inference_mode()); counted as inference, not judged for autograd'],
  ['inference_stream', 'as inference (XTTS streaming)'],
  ['infer', 'as inference (Tacotron2/VITS-style synthesis entry points)'],
]);

/** Generation hooks: called once per decoding step by design, so a host copy there is the decode loop's own. */
export const STEP_HOOKS = /(^|\.)(StoppingCriteria|LogitsProcessor|LogitsWarper|TextStreamer|BaseStreamer)$/;

/** Hub repositories whose `torch.hub.load` returns a wrapped detector (AutoShape: eval mode, no_grad inside). */
export const WRAPPED_HUB_REPOSITORIES = /yolo|ultralytics/i;

/**
 * Method names that objects of libraries commonly have (sessions, models, clients, containers, loggers):
 * a call of one on an object of unknown class says nothing about which workspace class it is.
 */
export const COMMON_METHODS: ReadonlySet<string> = new Set([
  'run', 'predict', 'predict_proba', 'forward', 'generate', 'encode', 'decode', 'transcribe', 'infer', 'inference', 'call',
  'chat', 'stream', 'invoke', 'embed', 'embed_query', 'embed_documents', 'detect', 'track', 'tokenize', 'score', 'compute',
  'process', 'preprocess', 'postprocess', 'fit', 'transform', 'fit_transform', 'step', 'reset', 'eval', 'train', 'to', 'cuda',
  'cpu', 'half', 'float', 'item', 'tolist', 'numpy', 'state_dict', 'load_state_dict', 'parameters', 'named_parameters', 'modules',
  'load', 'save', 'get', 'post', 'put', 'delete', 'update', 'close', 'open', 'start', 'stop', 'send', 'read', 'write', 'append',
  'extend', 'keys', 'values', 'items', 'format', 'join', 'split', 'copy', 'clear', 'pop', 'add', 'remove', 'submit', 'result',
  'wait', 'acquire', 'release', 'connect', 'execute', 'query', 'search', 'info', 'debug', 'warning', 'error', 'exception',
]);
