// Draws the PWA icons into public/icons/ (committed; run again only when the logo changes):
//   npx tsx dashboard/scripts/draw-icons.ts
// The logo is the favicon in index.html: a white "T" on the brand teal. PNGs are encoded
// here with node:zlib (no image library, nothing downloaded), edges smoothed by 4×4
// supersampling. `any` icons have rounded corners on transparency; `maskable` ones fill
// the square and keep the T inside the 80 % safe circle the platforms may crop to.
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { deflateSync } from 'node:zlib'

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'public', 'icons')
const BRAND = [0x0f, 0x76, 0x6e] as const // --color-brand in src/styles/main.css
const WHITE = [0xff, 0xff, 0xff] as const

// The logo on a 32-unit square, as in the favicon's SVG.
const CORNER = 8
const T_BARS = [
  { x0: 9, y0: 10, x1: 23, y1: 13 },
  { x0: 14.5, y0: 13, x1: 17.5, y1: 24 },
]
const T_CENTER = { x: 16, y: 17 }

type Variant = 'any' | 'maskable'

function insideRoundedSquare(x: number, y: number): boolean {
  const cx = Math.min(Math.max(x, CORNER), 32 - CORNER)
  const cy = Math.min(Math.max(y, CORNER), 32 - CORNER)
  return (x - cx) ** 2 + (y - cy) ** 2 <= CORNER ** 2
}

function insideT(x: number, y: number, variant: Variant): boolean {
  // Maskable: the T shrinks around the square's centre to stay well inside the safe zone.
  const scale = variant === 'maskable' ? 0.72 : 1
  const ux = T_CENTER.x + (x - 16) / scale
  const uy = T_CENTER.y + (y - 16) / scale - (variant === 'maskable' ? 0 : 1)
  return T_BARS.some((bar) => ux >= bar.x0 && ux < bar.x1 && uy >= bar.y0 && uy < bar.y1)
}

function drawRgba(size: number, variant: Variant): Buffer {
  const SAMPLES = 4
  const pixels = Buffer.alloc(size * size * 4)
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let background = 0
      let letter = 0
      for (let sy = 0; sy < SAMPLES; sy++) {
        for (let sx = 0; sx < SAMPLES; sx++) {
          const x = ((px + (sx + 0.5) / SAMPLES) / size) * 32
          const y = ((py + (sy + 0.5) / SAMPLES) / size) * 32
          if (variant === 'maskable' || insideRoundedSquare(x, y)) {
            background++
            if (insideT(x, y, variant)) letter++
          }
        }
      }
      const total = SAMPLES * SAMPLES
      const mix = background ? letter / background : 0
      const offset = (py * size + px) * 4
      for (let c = 0; c < 3; c++) pixels[offset + c] = Math.round(BRAND[c]! * (1 - mix) + WHITE[c]! * mix)
      pixels[offset + 3] = Math.round((background / total) * 255)
    }
  }
  return pixels
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

function crc32(bytes: Buffer): number {
  let c = 0xffffffff
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([length, body, crc])
}

function encodePng(size: number, rgba: Buffer): Buffer {
  const header = Buffer.alloc(13)
  header.writeUInt32BE(size, 0)
  header.writeUInt32BE(size, 4)
  header.writeUInt8(8, 8) // bit depth
  header.writeUInt8(6, 9) // colour type: RGBA
  // Each row starts with its filter byte (0: none).
  const raw = Buffer.alloc(size * (size * 4 + 1))
  for (let y = 0; y < size; y++) rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4)
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

const SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="${CORNER}" fill="#0f766e"/><path d="M9 10h14v3h-5.5v11h-3V13H9z" fill="#fff"/></svg>\n`

mkdirSync(OUT, { recursive: true })
writeFileSync(join(OUT, 'icon.svg'), SVG)
const pngs: [string, number, Variant][] = [
  ['icon-192.png', 192, 'any'],
  ['icon-512.png', 512, 'any'],
  ['maskable-192.png', 192, 'maskable'],
  ['maskable-512.png', 512, 'maskable'],
  // iOS draws transparency black: its home-screen icon is the full square.
  ['apple-touch-icon-180.png', 180, 'maskable'],
]
for (const [name, size, variant] of pngs) writeFileSync(join(OUT, name), encodePng(size, drawRgba(size, variant)))
console.log(`icons written to ${OUT}`)
