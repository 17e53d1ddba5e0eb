// Progressive enhancement only: every page works without this script.
// 1. <time datetime> becomes "3 min ago", with the reader's local time on hover.
// 2. Pages with <body data-refresh="N"> reload every N seconds while visible, unless someone is using a form.
(() => {
  const units = [
    ['year', 31536000],
    ['month', 2592000],
    ['day', 86400],
    ['hour', 3600],
    ['minute', 60],
    ['second', 1],
  ];
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  const relative = (date) => {
    const seconds = (date.getTime() - Date.now()) / 1000;
    const [unit, size] = units.find(([, s]) => Math.abs(seconds) >= s) ?? units[units.length - 1];
    return rtf.format(Math.round(seconds / size), unit);
  };
  const renderTimes = () => {
    for (const time of document.querySelectorAll('time[datetime]')) {
      const date = new Date(time.getAttribute('datetime'));
      if (Number.isNaN(date.getTime())) continue;
      time.textContent = relative(date);
      time.title = date.toLocaleString();
    }
  };
  let busy = false;
  document.addEventListener('input', () => {
    busy = true;
  });
  document.addEventListener('focusin', (event) => {
    if (['INPUT', 'TEXTAREA', 'SELECT'].includes(event.target?.tagName)) busy = true;
  });
  document.addEventListener('DOMContentLoaded', () => {
    renderTimes();
    setInterval(renderTimes, 30000);
    const seconds = Number(document.body.dataset.refresh);
    if (seconds > 0) {
      setInterval(() => {
        if (!busy && document.visibilityState === 'visible') location.reload();
      }, seconds * 1000);
    }
  });
})();
