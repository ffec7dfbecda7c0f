// Bug Busters: click the moving bug as often as you can in 20 seconds.
const ROUND_SECONDS = 20;
const MOVE_EVERY_MS = 800;
const API_BASE = 'http://localhost:3000';

const scoreEl = document.getElementById('score');
const timeEl = document.getElementById('time');
const startButton = document.getElementById('start-button');
const arena = document.getElementById('arena');
const bug = document.getElementById('bug');
const results = document.getElementById('results');
const finalScoreEl = document.getElementById('final-score');
const scoreForm = document.getElementById('score-form');
const nameInput = document.getElementById('player-name');
const leaderboardStatus = document.getElementById('leaderboard-status');
const leaderboardList = document.getElementById('leaderboard');

let score = 0;
let timeLeft = ROUND_SECONDS;
let playing = false;
let moveTimer = null;
let clockTimer = null;

function moveBug() {
  const maxX = Math.max(arena.clientWidth - bug.offsetWidth, 0);
  const maxY = Math.max(arena.clientHeight - bug.offsetHeight, 0);
  bug.style.left = Math.floor(Math.random() * maxX) + 'px';
  bug.style.top = Math.floor(Math.random() * maxY) + 'px';
}

function startGame() {
  score = 0;
  timeLeft = ROUND_SECONDS;
  playing = true;
  scoreEl.textContent = '0';
  timeEl.textContent = String(timeLeft);
  results.hidden = true;
  bug.hidden = false;
  startButton.disabled = true;
  moveBug();
  moveTimer = setInterval(moveBug, MOVE_EVERY_MS);
  clockTimer = setInterval(tick, 1000);
}

function tick() {
  timeLeft -= 1;
  timeEl.textContent = String(timeLeft);
  if (timeLeft <= 0) endGame();
}

function endGame() {
  playing = false;
  clearInterval(moveTimer);
  clearInterval(clockTimer);
  bug.hidden = true;
  finalScoreEl.textContent = String(score);
  results.hidden = false;
  startButton.disabled = false;
  startButton.textContent = 'Play again';
}

function hitBug() {
  if (!playing) return;
  score += 1;
  scoreEl.textContent = String(score);
  moveBug();
}

// The leaderboard is optional: when the backend is not running the game still works.
function showLeaderboard(scores) {
  leaderboardList.innerHTML = '';
  scores.forEach(function (entry) {
    const item = document.createElement('li');
    item.textContent = entry.name + ' - ' + entry.score;
    leaderboardList.appendChild(item);
  });
  leaderboardStatus.textContent = scores.length === 0 ? 'No scores yet' : '';
}

function loadLeaderboard() {
  return fetch(API_BASE + '/scores')
    .then(function (response) {
      if (!response.ok) throw new Error('HTTP ' + response.status);
      return response.json();
    })
    .then(showLeaderboard)
    .catch(function () {
      leaderboardStatus.textContent = 'Leaderboard offline';
    });
}

function submitScore(event) {
  event.preventDefault();
  const name = nameInput.value.trim();
  if (name === '') return;
  fetch(API_BASE + '/scores', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: name, score: score }),
  })
    .then(function (response) {
      if (!response.ok) throw new Error('HTTP ' + response.status);
      results.hidden = true;
      return loadLeaderboard().then(function () {
        leaderboardStatus.textContent = 'Score saved!';
      });
    })
    .catch(function () {
      leaderboardStatus.textContent = 'Leaderboard offline';
    });
}

startButton.addEventListener('click', startGame);
bug.addEventListener('click', hitBug);
scoreForm.addEventListener('submit', submitScore);
loadLeaderboard();
