import { svelte } from "@sveltejs/vite-plugin-svelte";
import { svelteTesting } from "@testing-library/svelte/vite";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [svelte(), svelteTesting()],
  // Tauri shows its own errors; Vite's overlay would hide them behind a second layer.
  clearScreen: false,
  server: { host: "127.0.0.1", port: 5173, strictPort: true },
  build: {
    // WebKitGTK 2.4x, WebView2 and Safari 16+ all run ES2022.
    target: "es2022",
    // No inline assets: the CSP allows only 'self' and data: images.
    assetsInlineLimit: 0,
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.ts"],
  },
});
