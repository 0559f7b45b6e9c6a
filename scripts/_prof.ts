import { readModelFile } from '../server/src/onnx/reader';
import { inferShapes } from '../server/src/onnx/shapes';
import { modelCost } from '../server/src/onnx/cost';
const f = process.argv[2];
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const acc = [0, 0, 0];
for (let i = 0; i < 10; i++) {
  let t = cpu();
  const m = readModelFile(f); acc[0] += cpu() - t; t = cpu();
  const inf = inferShapes(m, {}); acc[1] += cpu() - t; t = cpu();
  modelCost(m, {}, inf); acc[2] += cpu() - t;
}
console.log('cpu ms per run: read', (acc[0] / 10).toFixed(1), 'shapes', (acc[1] / 10).toFixed(1), 'cost', (acc[2] / 10).toFixed(1));
