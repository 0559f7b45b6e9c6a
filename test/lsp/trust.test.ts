/** Workspace Trust over the protocol: an untrusted workspace gets static analysis, never model runs. */
import * as assert from 'assert';
import { pathToFileURL } from 'url';
import { ExecuteCommandRequest, ProtocolConnection } from 'vscode-languageserver-protocol/node';
import { startServer, ServerHandle } from '../helpers/lsp';
import { testModel } from '../helpers/testModels';

describe('workspace trust', () => {
  let server: ServerHandle;
  let conn: ProtocolConnection;

  before(async () => {
    server = startServer();
    conn = server.conn;
    await server.initialize({ rootUri: null, capabilities: {}, initializationOptions: { workspaceTrusted: false } });
  });

  after(() => server.stop());

  const model = (): string => pathToFileURL(testModel('mlp_mnist_like.onnx')).toString();

  it('refuses to benchmark or quantize in an untrusted workspace, and still summarises', async () => {
    for (const command of ['inferenceLens.benchmark', 'inferenceLens.quantize', 'inferenceLens.optimize']) {
      await assert.rejects(conn.sendRequest(ExecuteCommandRequest.type, { command, arguments: [model()] }), /untrusted workspace/);
    }
    const r = await conn.sendRequest(ExecuteCommandRequest.type, { command: 'inferenceLens.modelSummary', arguments: [model()] });
    assert.strictEqual((r as { summary: { params: number } }).summary.params, 535818);
  });

  it('runs models once the client says the workspace is trusted', async () => {
    await conn.sendNotification('inferenceLens/workspaceTrusted');
    // An unknown method reaches the quantize command itself: its own usage error, not the trust refusal.
    await assert.rejects(
      conn.sendRequest(ExecuteCommandRequest.type, { command: 'inferenceLens.quantize', arguments: [model(), 'no-such-method'] }),
      (e: Error) => !/untrusted/.test(e.message));
  });
});
