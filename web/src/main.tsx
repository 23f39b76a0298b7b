import { render } from "preact";
import { loadConfig } from "./config";
import { initAuth } from "./auth";
import { App } from "./app";
import { t } from "./i18n";
import "./style.css";

const root = document.getElementById("app");

async function start(): Promise<void> {
  if (!root) return;
  try {
    await loadConfig();
  } catch {
    root.innerHTML = "";
    const p = document.createElement("p");
    p.setAttribute("role", "alert");
    p.textContent = t("app.noConfig");
    root.append(p);
    return;
  }
  try {
    await initAuth();
  } catch {
    // A failed OIDC callback or restore: the app shows the sign-in prompt.
  }
  render(<App />, root);
}

void start();
