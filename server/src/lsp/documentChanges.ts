/**
 * The document store's update hook: `TextDocuments` applies LSP incremental changes itself and only
 * reports the result, so this configuration wraps `TextDocument.update` to pass the raw changes (with
 * the text they apply to) to listeners first. The incremental parser needs exactly those ranges.
 */
import type { TextDocumentContentChangeEvent, TextDocumentsConfiguration } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { ContentChange } from '../code/incremental';

export type ChangeListener = (uri: string, oldText: string, changes: readonly ContentChange[]) => void;

const listeners: ChangeListener[] = [];

export function onRawDocumentChange(listener: ChangeListener): void {
  listeners.push(listener);
}

export const trackedTextDocuments: TextDocumentsConfiguration<TextDocument> = {
  create: TextDocument.create,
  update(document: TextDocument, changes: TextDocumentContentChangeEvent[], version: number): TextDocument {
    if (listeners.length) {
      const oldText = document.getText();
      const raw = changes.map((c) => ('range' in c ? { range: c.range, text: c.text } : { text: c.text }));
      for (const l of listeners) l(document.uri, oldText, raw);
    }
    return TextDocument.update(document, changes, version);
  },
};
