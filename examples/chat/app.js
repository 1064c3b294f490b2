// A tiny stand-in for chatgpt.com, for the demo and the tests: a question sent from the text box
// gets an answer "typed" word by word into a new message element, which is marked
// data-state="done" when it is complete. `?wordMs=<n>` sets the typing speed (80 ms a word).
const wordMs = Number(new URLSearchParams(location.search).get('wordMs')) || 80;
const messages = document.getElementById('messages');
const prompt = document.getElementById('prompt');
const send = document.getElementById('send');

function answerTo(question) {
  return `You asked: "${question}". This page is not ChatGPT, but it answers the same way: word by word, as if it were typing, then it marks the answer done.`;
}

function message(role, text) {
  const element = document.createElement('div');
  element.className = `message ${role}`;
  element.dataset.role = role;
  element.textContent = text;
  messages.append(element);
  return element;
}

document.getElementById('composer').addEventListener('submit', (event) => {
  event.preventDefault();
  const question = prompt.value.trim();
  if (!question || send.disabled) return;
  prompt.value = '';
  send.disabled = true;
  message('user', question);
  const reply = message('assistant', '');
  reply.dataset.state = 'typing';
  const words = answerTo(question).split(' ');
  let next = 0;
  const timer = setInterval(() => {
    reply.textContent += (next ? ' ' : '') + words[next++];
    if (next < words.length) return;
    clearInterval(timer);
    reply.dataset.state = 'done';
    send.disabled = false;
  }, wordMs);
});
