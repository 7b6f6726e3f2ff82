import type { Assets } from "./assets.ts";

/** The colour of the site header's navigation bar (`--primary` in static/app.css), for the phone's status bar. */
export const THEME_COLOR = "#0b5cad";

/**
 * The web app manifest (served at /manifest.webmanifest): added to a phone's home screen, the platform
 * opens on 个人中心 in a window of its own. The icons are the content-hashed SVG assets (the project
 * ships no raster images): the logo as it is, and a full-bleed copy whose ticket stays inside the
 * maskable safe zone (the central circle of 80% diameter) for launchers that crop icons to a shape.
 */
export function webManifest(assets: Assets) {
  return {
    id: "/",
    name: "广西制造业企业培优育强服务券管理平台",
    short_name: "服务券平台",
    description: "广西制造业企业培优育强服务券的申领、使用与服务购买平台。",
    lang: "zh-CN",
    dir: "ltr",
    start_url: "/me",
    scope: "/",
    display: "standalone",
    theme_color: THEME_COLOR,
    background_color: "#f4f6f9",
    icons: [
      { src: assets.url("logo.svg"), sizes: "any", type: "image/svg+xml", purpose: "any" },
      { src: assets.url("icon-maskable.svg"), sizes: "any", type: "image/svg+xml", purpose: "maskable" },
    ],
  };
}
