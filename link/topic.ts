// MQTT topic filter matching (MQTT 3.1.1 section 4.7), pure.

/** True when `topic` matches the subscription `filter` (`+` one level, `#` the rest). */
export function topicMatches(filter: string, topic: string): boolean {
  // Filters starting with a wildcard never match topics starting `$` [MQTT-4.7.2-1].
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** Why `topic` cannot be published to, or undefined when it can. */
export function publishTopicProblem(topic: string): string | undefined {
  if (topic === '') return 'topic must not be empty';
  if (/[+#]/.test(topic)) return `topic ${JSON.stringify(topic)} must not contain wildcards + or #`;
  if (topic.includes('\0')) return 'topic must not contain NUL';
  if (Buffer.byteLength(topic) > 65535) return 'topic is longer than 65535 bytes';
  return undefined;
}

/** Why `filter` is not a valid subscription filter, or undefined when it is. */
export function filterProblem(filter: string): string | undefined {
  if (filter === '') return 'filter must not be empty';
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i];
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) return `filter ${JSON.stringify(filter)}: # must be a whole last level`;
    if (level.includes('+') && level !== '+') return `filter ${JSON.stringify(filter)}: + must be a whole level`;
  }
  return undefined;
}
