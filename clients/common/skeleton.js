// BODY_25 skeleton drawing, shared by the scoreboard and the camera page.
// Keypoints are the protocol's `pose.keypoints`: 25 x [x, y, confidence] in
// the source's pixels; a missing point is [0, 0, 0].

// OpenPose's POSE_BODY_25_PAIRS_RENDER (models/keypoints/skeleton.py: BODY25_LIMBS).
export const BODY25_LIMBS = [
  [1, 8], [1, 2], [1, 5], [2, 3], [3, 4], [5, 6], [6, 7],
  [8, 9], [9, 10], [10, 11], [8, 12], [12, 13], [13, 14],
  [1, 0], [0, 15], [15, 17], [0, 16], [16, 18],
  [14, 19], [19, 20], [14, 21], [11, 22], [22, 23], [11, 24],
];

// Right side warm, left side cool, trunk and head white: readable at a glance.
const RIGHT = new Set([2, 3, 4, 9, 10, 11, 22, 23, 24, 15, 17]);
const LEFT = new Set([5, 6, 7, 12, 13, 14, 19, 20, 21, 16, 18]);

function limbColour(a, b) {
  if (RIGHT.has(a) || RIGHT.has(b)) return "#ff8a3d";
  if (LEFT.has(a) || LEFT.has(b)) return "#3dc8ff";
  return "#f2f2f2";
}

// Draw `keypoints` (source pixels, a frame of width x height) on the 2D
// context `ctx` of a canvas, fitted into it with the aspect ratio kept.
// Returns the number of limbs drawn (0 when nobody is seen).
export function drawSkeleton(ctx, keypoints, width, height, minConfidence = 0.1) {
  const canvas = ctx.canvas;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (!keypoints || !width || !height) return 0;
  const scale = Math.min(canvas.width / width, canvas.height / height);
  const dx = (canvas.width - width * scale) / 2;
  const dy = (canvas.height - height * scale) / 2;
  const at = (p) => [dx + p[0] * scale, dy + p[1] * scale];
  const seen = (p) => p && p[2] >= minConfidence;
  ctx.lineCap = "round";
  ctx.lineWidth = Math.max(2, canvas.width / 160);
  let drawn = 0;
  for (const [a, b] of BODY25_LIMBS) {
    const pa = keypoints[a], pb = keypoints[b];
    if (!seen(pa) || !seen(pb)) continue;
    ctx.strokeStyle = limbColour(a, b);
    ctx.beginPath();
    ctx.moveTo(...at(pa));
    ctx.lineTo(...at(pb));
    ctx.stroke();
    drawn += 1;
  }
  ctx.fillStyle = "#ffffff";
  for (const p of keypoints) {
    if (!seen(p)) continue;
    const [x, y] = at(p);
    ctx.beginPath();
    ctx.arc(x, y, ctx.lineWidth * 0.9, 0, 2 * Math.PI);
    ctx.fill();
  }
  return drawn;
}

// The bounding size of the keypoints seen, for sources whose frame size is unknown.
export function extent(keypoints) {
  let w = 0, h = 0;
  for (const [x, y, c] of keypoints) if (c > 0) { w = Math.max(w, x); h = Math.max(h, y); }
  return [w * 1.1, h * 1.1];
}
