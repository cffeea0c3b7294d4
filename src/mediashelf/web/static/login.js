// The login page, and the first-run page while no user exists.
const form = document.getElementById("form");
const intro = document.getElementById("intro");
const error = document.getElementById("error");
const submit = document.getElementById("submit");
const confirmRow = document.getElementById("confirm-row");
const params = new URLSearchParams(location.search);

// Only a page of this site: never an open redirect to another one. The URL parser
// decides, as the browser will (it drops tabs and newlines, reads "\" as "/").
function nextUrl() {
  try {
    const next = new URL(params.get("next") || "/", location.origin);
    if (next.origin === location.origin) return next.pathname + next.search + next.hash;
  } catch {
    // not a URL at all
  }
  return "/";
}

function fail(text) {
  error.textContent = text;
  error.hidden = false;
}

async function start() {
  const res = await fetch("/api/v1/auth/setup");
  const status = await res.json();
  const firstRun = status.needs_admin;
  if (firstRun) {
    document.title = "First run · Mediashelf";
    intro.textContent = "Welcome. Create the first account: it will be the admin.";
    submit.textContent = "Create admin";
    confirmRow.hidden = false;
    form.password.autocomplete = "new-password";
  }
  if (params.get("error")) fail(params.get("error"));
  if (status.oidc && !firstRun) {
    const link = document.getElementById("oidc-link");
    link.textContent = status.oidc.name;
    link.href = `/api/v1/auth/oidc/login?next=${encodeURIComponent(nextUrl())}`;
    document.getElementById("oidc").hidden = false;
  }
  form.hidden = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    if (firstRun && form.password.value !== form.confirm.value) {
      fail("The two passwords differ.");
      return;
    }
    submit.disabled = true;
    try {
      const res = await fetch(firstRun ? "/api/v1/auth/setup" : "/api/v1/auth/login", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: form.username.value, password: form.password.value }),
      });
      if (res.ok) {
        location.replace(nextUrl());
        return;
      }
      const body = await res.json().catch(() => ({}));
      fail(typeof body.detail === "string" ? body.detail : `Could not log in (${res.status}).`);
    } catch (err) {
      fail(`Could not reach the server: ${err.message || err}`);
    } finally {
      submit.disabled = false;
    }
  });
}

start();
