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


// A details block whose content is fetched when a reader opens it (a click, or a key, on
// its summary), rather than sent with the page: `take` turns the answer into the block's
// content. Until then (and without JavaScript) the block gives a link to a page that
// shows the same figures; opened in another way (a script, find in page) it keeps that
// link.
function fetchWhenOpened (details, src, take) {
  const body = details.querySelector('.govuk-details__text')
  details.querySelector('summary').addEventListener('click', () => {
    if (details.dataset.loaded) return
    details.dataset.loaded = 'loading'
    body.setAttribute('aria-busy', 'true')
    fetch(src)
      .then((r) => (r.ok ? r.text() : Promise.reject(new Error(String(r.status)))))
      .then((html) => {
        body.innerHTML = take(html)
        details.dataset.loaded = 'yes'
      })
      .catch(() => delete details.dataset.loaded) // the link stays: try again on a click
      .finally(() => body.removeAttribute('aria-busy'))
  })
}

// A profile's "Each statistical neighbour's figure" blocks: the chart and table of one
// (an HTML fragment), rather than all ~80 with the page; the link goes to the indicator
// page.
document.querySelectorAll('details[data-neighbours-src]').forEach((details) => {
  fetchWhenOpened(details, details.dataset.neighboursSrc, (html) => html)
})

// A profile's "Show the data" tables under its charts: the table of one, from the page
// of its own that the link goes to (its #series-block), rather than ~100 with the page.
document.querySelectorAll('details[data-series-src]').forEach((details) => {
  fetchWhenOpened(details, details.dataset.seriesSrc, (html) => {
    const part = new DOMParser().parseFromString(html, 'text/html').getElementById('series-block')
    if (!part) throw new Error('no #series-block')
    return part.innerHTML
  })
})
