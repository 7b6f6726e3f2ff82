import { CAPTCHA } from "./domain.ts";

/** A source of random integers in [0, n); the service passes a cryptographic one. */
export type RandomInt = (n: number) => number;

export function captchaAnswer(rand: RandomInt): string {
  let s = "";
  for (let i = 0; i < CAPTCHA.length; i++) s += CAPTCHA.alphabet[rand(CAPTCHA.alphabet.length)];
  return s;
}

const W = 120;
const H = 40;

/**
 * Renders the answer as a small SVG: rotated, offset glyphs over noise curves and dots.
 * Pure apart from the random source, so it is unit-tested.
 */
export function renderCaptchaSvg(answer: string, rand: RandomInt): string {
  const colour = () => `hsl(${rand(360)},${45 + rand(30)}%,${25 + rand(20)}%)`;
  const parts: string[] = [];
  for (let i = 0; i < 4; i++) {
    const y1 = 5 + rand(H - 10);
    const y2 = 5 + rand(H - 10);
    parts.push(
      `<path d="M${rand(10)} ${y1} C${30 + rand(30)} ${rand(H)},${60 + rand(30)} ${rand(H)},${W - rand(10)} ${y2}" stroke="${colour()}" stroke-width="${1 + rand(2)}" fill="none"/>`,
    );
  }
  for (let i = 0; i < 25; i++) {
    parts.push(`<circle cx="${rand(W)}" cy="${rand(H)}" r="1" fill="${colour()}"/>`);
  }
  const step = (W - 16) / answer.length;
  [...answer].forEach((ch, i) => {
    const x = 10 + i * step + rand(8);
    const y = 28 + rand(8);
    const rot = rand(50) - 25;
    const size = 22 + rand(6);
    parts.push(
      `<text x="${x}" y="${y}" font-size="${size}" font-family="Verdana,Arial,sans-serif" font-weight="bold" fill="${colour()}" transform="rotate(${rot} ${x} ${y})">${ch}</text>`,
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}"><rect width="100%" height="100%" fill="#f2f5f9"/>${parts.join("")}</svg>`;
}
