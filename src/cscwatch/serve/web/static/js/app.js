// Progressive enhancement only: every page works without this file.
// A click on an authority in a map (or in its London inset: data-inset-la) opens its
// profile (keyboard users use the table).
document.querySelectorAll('svg.app-map [data-la], svg.app-map [data-inset-la]').forEach((el) => {
  el.style.cursor = 'pointer'
  el.addEventListener('click', () => {
    const la = el.getAttribute('data-la') || el.getAttribute('data-inset-la')
    window.location.href = '/authorities/' + encodeURIComponent(la)
  })
})


// The profile's print button (hidden without JavaScript: use the browser's print).
document.querySelectorAll('[data-app-print]').forEach((el) => {
  el.hidden = false
  el.addEventListener('click', () => window.print())
})


// A profile's "Each statistical neighbour's figure" blocks: the chart and table of one
// are fetched when a reader opens it (a click, or a key, on its summary), rather than
// sent for all ~80 indicators with the page. Until then (and without JavaScript) the
// block gives the rank in words and a link to the indicator page, which shows the same
// figures. Opened in another way (a script, find in page) it keeps that link.
document.querySelectorAll('details[data-neighbours-src]').forEach((details) => {
  const body = details.querySelector('.govuk-details__text')
  details.querySelector('summary').addEventListener('click', () => {
    if (details.dataset.loaded) return
    details.dataset.loaded = 'loading'
    body.setAttribute('aria-busy', 'true')
    fetch(details.dataset.neighboursSrc)
      .then((r) => (r.ok ? r.text() : Promise.reject(new Error(String(r.status)))))
      .then((html) => {
        body.innerHTML = html
        details.dataset.loaded = 'yes'
      })
      .catch(() => delete details.dataset.loaded) // the link stays: try again on a click
      .finally(() => body.removeAttribute('aria-busy'))
  })
})
