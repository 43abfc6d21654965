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
