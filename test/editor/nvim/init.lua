-- Headless Neovim (0.7+ API: vim.lsp.start_client / buf_attach_client) as a real LSP client of
-- Inference Lens: start `node dist/server.js --stdio`, open examples/app/serve.py, wait for PY001,
-- hover over the model path, ask for the quick fix; write what it saw as JSON; exit 0 or 1.
-- Env: INFERENCE_LENS_SERVER (server.js), INFERENCE_LENS_RESULT (JSON out), INFERENCE_LENS_TIMEOUT_MS.
-- Run by scripts/e2e/nvim.sh with the current file = examples/app/serve.py in a scratch workspace.
-- No remote-plugin providers: opening a .py file would probe for a python3 host (seconds through shims).
for _, p in ipairs({ 'python3', 'python', 'ruby', 'perl', 'node' }) do vim.g['loaded_' .. p .. '_provider'] = 0 end

local server = assert(os.getenv('INFERENCE_LENS_SERVER'), 'INFERENCE_LENS_SERVER not set')
local result_file = os.getenv('INFERENCE_LENS_RESULT') or 'nvim-result.json'
local timeout_ms = tonumber(os.getenv('INFERENCE_LENS_TIMEOUT_MS') or '30000')
local MODEL = 'examples/models/intent_classifier.onnx'

local function finish(result, err)
  result.ok = err == nil
  result.error = err
  vim.fn.writefile({ vim.fn.json_encode(result) }, result_file)
  if err then vim.cmd('cquit 1') else vim.cmd('qall!') end
end

local function markdown(contents)
  if type(contents) == 'string' then return contents end
  if contents.value then return contents.value end
  local parts = {}
  for _, c in ipairs(contents) do table.insert(parts, type(c) == 'string' and c or c.value) end
  return table.concat(parts, '\n')
end

local function check(bufnr, client_id, result)
  local t0 = vim.loop.hrtime()
  local ms = function() return math.floor((vim.loop.hrtime() - t0) / 1e6) end

  -- 1) publishDiagnostics: PY001 on the per-request session (0-based line 24)
  local function ours()
    local out = {}
    for _, d in ipairs(vim.diagnostic.get(bufnr)) do
      -- PY001 only: other rules may fire on the example as the catalogue grows
      if d.source == 'inference-lens' and d.code == 'PY001' then table.insert(out, d) end
    end
    return out
  end
  local got = vim.wait(timeout_ms, function() return #ours() >= 3 end, 50)
  result.diagnostics = {}
  for _, d in ipairs(ours()) do
    table.insert(result.diagnostics, { line = d.lnum, col = d.col, code = d.code, source = d.source, severity = d.severity, message = d.message })
  end
  result.diagnostics_ms = ms()
  if not got then return 'fewer than 3 PY001 diagnostics' end
  local intent
  for _, d in ipairs(ours()) do
    if d.lnum == 24 then intent = d end
  end
  if not intent then return 'no PY001 on line 25' end
  if intent.severity ~= vim.diagnostic.severity.WARN then return 'PY001 is not a warning' end

  -- 2) hover over the model path string
  local line = vim.api.nvim_buf_get_lines(bufnr, 24, 25, true)[1]
  local col = assert(line:find(MODEL, 1, true), 'model path not on line 25') + 5
  local uri = vim.uri_from_bufnr(bufnr)
  local resp = vim.lsp.buf_request_sync(bufnr, 'textDocument/hover',
    { textDocument = { uri = uri }, position = { line = 24, character = col } }, timeout_ms)
  local hover = resp and resp[client_id] and resp[client_id].result
  result.hover = hover and markdown(hover.contents) or nil
  result.hover_ms = ms()
  if not result.hover then return 'no hover over the model path' end
  if not result.hover:find('336.9 k parameters', 1, true) then return 'hover lacks the parameter count' end

  -- 3) the quick fix for that diagnostic
  -- the LSP diagnostic as the server sent it (0.7 keeps only code/data in user_data.lsp)
  local lsp_diag = vim.tbl_extend('force', (intent.user_data or {}).lsp or {}, {
    range = { start = { line = intent.lnum, character = intent.col }, ['end'] = { line = intent.end_lnum, character = intent.end_col } },
    message = intent.message, code = intent.code, source = intent.source, severity = intent.severity,
  })
  resp = vim.lsp.buf_request_sync(bufnr, 'textDocument/codeAction',
    { textDocument = { uri = uri }, range = lsp_diag.range, context = { diagnostics = { lsp_diag } } }, timeout_ms)
  local actions = resp and resp[client_id] and resp[client_id].result or {}
  result.code_actions = {}
  for _, a in ipairs(actions) do table.insert(result.code_actions, a.title) end
  result.code_actions_ms = ms()
  for _, t in ipairs(result.code_actions) do
    if t:find('Load `session` once at module scope', 1, true) then return nil end
  end
  return 'no "Load `session` once at module scope" code action'
end

vim.api.nvim_create_autocmd('VimEnter', {
  callback = function()
    local result = { nvim = tostring(vim.version().major) .. '.' .. vim.version().minor .. '.' .. vim.version().patch }
    local bufnr = vim.api.nvim_get_current_buf()
    local client_id = vim.lsp.start_client({
      name = 'inference-lens',
      cmd = { 'node', server, '--stdio' },
      root_dir = vim.fn.getcwd(),
    })
    if not client_id then return finish(result, 'vim.lsp.start_client failed') end
    vim.lsp.buf_attach_client(bufnr, client_id)
    local ok, res = pcall(check, bufnr, client_id, result)
    local err = res
    if not ok then err = 'error: ' .. tostring(res) end
    vim.lsp.stop_client(client_id)
    finish(result, err)
  end,
})
