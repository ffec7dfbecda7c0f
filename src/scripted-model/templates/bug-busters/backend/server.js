// Bug Busters API: GET /health, GET /scores (top 10), POST /scores. Node.js built-ins only, memory storage.
const http = require('node:http');

const PORT = Number(process.env.PORT) || 3000;
const MAX_BODY_BYTES = 10 * 1024;
const scores = []; // { name, score, createdAt }, lost when the server stops

const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type',
};

function sendJson(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json', ...CORS_HEADERS });
  res.end(JSON.stringify(body));
}

function topScores() {
  return scores
    .slice()
    .sort((a, b) => b.score - a.score || a.createdAt - b.createdAt)
    .slice(0, 10)
    .map((entry) => ({ name: entry.name, score: entry.score }));
}

// Returns an error message, or null when the body is a valid score.
function validateScore(body) {
  if (body === null || typeof body !== 'object') return 'Body must be a JSON object';
  const name = typeof body.name === 'string' ? body.name.trim() : '';
  if (name.length < 1 || name.length > 20) return 'name must be 1-20 characters';
  if (!Number.isInteger(body.score) || body.score < 0 || body.score > 1000000) {
    return 'score must be a whole number from 0 to 1000000';
  }
  return null;
}

function readBody(req, callback) {
  let data = '';
  req.on('data', (chunk) => {
    data += chunk;
    if (data.length > MAX_BODY_BYTES) req.destroy();
  });
  req.on('end', () => callback(data));
}

function addScore(req, res) {
  readBody(req, (data) => {
    let body;
    try {
      body = JSON.parse(data);
    } catch {
      return sendJson(res, 400, { error: 'Body must be valid JSON' });
    }
    const problem = validateScore(body);
    if (problem) return sendJson(res, 400, { error: problem });
    const entry = { name: body.name.trim(), score: body.score, createdAt: Date.now() };
    scores.push(entry);
    sendJson(res, 201, { name: entry.name, score: entry.score });
  });
}

const server = http.createServer((req, res) => {
  const path = new URL(req.url, 'http://localhost').pathname;
  if (req.method === 'OPTIONS') {
    res.writeHead(204, CORS_HEADERS);
    return res.end();
  }
  if (req.method === 'GET' && path === '/health') return sendJson(res, 200, { status: 'ok' });
  if (req.method === 'GET' && path === '/scores') return sendJson(res, 200, topScores());
  if (req.method === 'POST' && path === '/scores') return addScore(req, res);
  sendJson(res, 404, { error: 'Not found' });
});

server.listen(PORT, () => {
  console.log('Bug Busters API listening on http://localhost:' + PORT);
});
