// Fills .corpus/real/ with the files test/corpus-real/projects/*.json list, at the commits they name:
// from a local git mirror of each repository when there is one ($CORPUS_MIRRORS, default /work/.mirror,
// holding <owner>+<name>/ git directories), else from a blob-less clone of github.com/<owner>/<name>
// into .corpus/clones/. Writes nothing outside .corpus/; files already there are checked, not rewritten.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const projectsDir = path.join(root, 'test/corpus-real/projects');
const out = path.join(root, '.corpus/real');
const mirrors = process.env.CORPUS_MIRRORS ?? '/work/.mirror';

const git = (args) => spawnSync('git', args, { encoding: 'buffer', maxBuffer: 64 << 20 });

/** A git directory holding `commit`: the mirror (bare or not, possibly one level down) or a clone. */
function gitDirFor(repo, commit) {
  const slug = repo.replace('/', '+');
  const candidates = [path.join(mirrors, slug)];
  if (fs.existsSync(candidates[0])) for (const e of fs.readdirSync(candidates[0])) candidates.push(path.join(candidates[0], e));
  for (const c of candidates) {
    for (const dir of [c, path.join(c, '.git')]) {
      if (fs.existsSync(path.join(dir, 'HEAD')) && git(['--git-dir', dir, 'cat-file', '-e', `${commit}^{commit}`]).status === 0) return dir;
    }
  }
  const clone = path.join(root, '.corpus/clones', slug);
  if (!fs.existsSync(clone)) {
    const r = spawnSync('git', ['clone', '--bare', '--filter=blob:none', `https://github.com/${repo}.git`, clone], { stdio: 'inherit' });
    if (r.status !== 0) return undefined;
  }
  return git(['--git-dir', clone, 'cat-file', '-e', `${commit}^{commit}`]).status === 0 ? clone : undefined;
}

let written = 0, present = 0, failed = 0;
for (const name of fs.readdirSync(projectsDir).filter((f) => f.endsWith('.json')).sort()) {
  const project = JSON.parse(fs.readFileSync(path.join(projectsDir, name), 'utf8'));
  const slug = project.repo.replace('/', '+');
  const missing = project.files.filter((f) => !fs.existsSync(path.join(out, slug, f.path)));
  present += project.files.length - missing.length;
  if (!missing.length) continue;
  const dir = gitDirFor(project.repo, project.commit);
  if (!dir) { console.error(`corpus: ${project.repo}@${project.commit.slice(0, 10)} not reachable (no mirror, no network)`); failed += missing.length; continue; }
  for (const f of missing) {
    if (path.isAbsolute(f.path) || f.path.split('/').includes('..')) { console.error(`corpus: refusing path ${f.path}`); failed++; continue; }
    const r = git(['--git-dir', dir, 'show', `${project.commit}:${f.path}`]);
    if (r.status !== 0) { console.error(`corpus: ${project.repo}:${f.path} not at ${project.commit.slice(0, 10)}`); failed++; continue; }
    const dest = path.join(out, slug, f.path);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(`${dest}.tmp`, r.stdout);
    fs.renameSync(`${dest}.tmp`, dest);
    written++;
  }
}
console.log(`corpus: ${written} file(s) written, ${present} already present, ${failed} unavailable`);
process.exit(failed && !written && !present ? 1 : 0);
