// ==UserScript==
// @name         any example: chat
// @namespace    https://github.com/any
// @description  Adds __any__.ask to the demo's chat page: asks a question and streams the answer as it is typed.
// @match        http://127.0.0.1/chat*
// @grant        none
// ==/UserScript==

// The same shape works for a real chat site: change @match and the selectors below.
const SELECTORS = {
  prompt: '#prompt',
  send: '#send',
  answer: '.message.assistant',
};
const isDone = (answer) => answer.dataset.state === 'done';

globalThis.__any__ = globalThis.__any__ || {};

// One question at a time in a tab: the page takes the next question once its answer is done.
let queue = Promise.resolve();

globalThis.__any__.ask = (params, context) => {
  const turn = queue.then(() => askNow(params, context));
  queue = turn.catch(() => {});
  return turn;
};

async function askNow({ prompt } = {}, { signal, progress }) {
  if (typeof prompt !== 'string' || !prompt.trim()) throw new TypeError('ask needs a non-empty `prompt` string.');
  signal.throwIfAborted();
  const box = document.querySelector(SELECTORS.prompt);
  const send = document.querySelector(SELECTORS.send);
  if (!box || !send) throw new Error('This page has no chat box to type into.');
  const answersBefore = document.querySelectorAll(SELECTORS.answer).length;

  // Type the question as a user would, so the page's own listeners see it, then send it.
  box.value = prompt;
  box.dispatchEvent(new Event('input', { bubbles: true }));
  send.click();

  // Watch for the new answer, and send each piece of text that appears as a progress value: the
  // parts, concatenated, are the answer the method returns.
  return new Promise((resolve, reject) => {
    let sent = '';
    const check = () => {
      const answer = document.querySelectorAll(SELECTORS.answer)[answersBefore];
      if (!answer) return;
      const text = answer.textContent;
      if (text.length > sent.length && text.startsWith(sent)) {
        progress(text.slice(sent.length));
        sent = text;
      }
      if (isDone(answer)) finish(() => resolve(text));
    };
    const observer = new MutationObserver(check);
    const onAbort = () => finish(() => reject(signal.reason));
    const finish = (settle) => {
      observer.disconnect();
      signal.removeEventListener('abort', onAbort);
      settle();
    };
    observer.observe(document.body, { childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ['data-state'] });
    signal.addEventListener('abort', onAbort, { once: true });
    check();
  });
}

// For `npx any methods <page>` and for agents (MCP tools carry these).
globalThis.__any__.ask.description = 'Asks the chat a question; streams the answer as it is typed (each progress value is the new text) and returns the whole answer.';
globalThis.__any__.ask.inputSchema = {
  type: 'object',
  properties: { prompt: { type: 'string', description: 'the question to ask' } },
  required: ['prompt'],
};
