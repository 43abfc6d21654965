// Progressive enhancement only: every page works without this file.
// A click on an authority in a map opens its profile (keyboard users use the table).
document.querySelectorAll('svg.app-map [data-la]').forEach((el) => {
  el.style.cursor = 'pointer'
  el.addEventListener('click', () => {
    window.location.href = '/authorities/' + encodeURIComponent(el.getAttribute('data-la'))
  })
})


// The profile's print button (hidden without JavaScript: use the browser's print).
document.querySelectorAll('[data-app-print]').forEach((el) => {
  el.hidden = false
  el.addEventListener('click', () => window.print())
})
