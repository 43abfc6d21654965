// Swagger UI for /api/docs, from the copy `make web` installs (no CDN).
// Accessibility: syntax highlighting is off (its colour themes fail contrast on a
// white page); deep links are off (they put a link inside each operation's button);
// Swagger UI's own <main> is the page's main landmark (the page puts no other).
window.ui = window.SwaggerUIBundle({
  url: '/api/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: false,
  syntaxHighlight: false,
  defaultModelsExpandDepth: 0,
  docExpansion: 'list'
})
