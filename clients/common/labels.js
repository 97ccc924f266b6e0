// Skill labels as people read them; shared by the scoreboard and the camera page.

// "back_walkover" -> "Back walkover".
export function prettyLabel(label) {
  const text = String(label).replaceAll("_", " ").trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}
