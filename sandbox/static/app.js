/* HTX Advisor sandbox: a Telegram-like chat over the Bot API emulator's control API.
 *
 * Plain JS, no build step, no network beyond this page's own server:
 *   GET  /sandbox/config            bot name and the three personas
 *   GET  /control/messages          a chat's history (bot and user messages)
 *   POST /control/say, /control/press   the persona types or taps a button
 *   POST /control/document          the persona sends a file (base64)
 *   GET  /control/commands          the command menus the bot set
 *   GET  /control/events            live events (SSE): message, edit, delete, callback_answer ...
 *   GET  /control/file/{file_id}    photos and documents the bot sent
 * Message text is rendered from Telegram HTML through a whitelist (renderHtml) or from
 * text + entities (renderEntities); message text is never parsed as page markup.
 */
(() => {
  'use strict';

  const $ = (id) => document.getElementById(id);

  // ---- Telegram HTML -> DOM, keeping only Telegram's tags ----------------------------------

  const TAGS = {
    b: 'b', strong: 'b', i: 'i', em: 'i', u: 'u', ins: 'u', s: 's', strike: 's', del: 's',
    a: 'a', code: 'code', pre: 'pre', blockquote: 'blockquote',
    'tg-spoiler': 'spoiler', span: 'spoiler', 'tg-emoji': 'emoji',
  };
  const NAMED = { lt: '<', gt: '>', amp: '&', quot: '"' };
  const TAG_RE = /<(\/?)([a-zA-Z][\w-]*)((?:\s[^<>]*?)?)\s*\/?>/g;
  const ATTR_RE = /([a-zA-Z_][\w-]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g;
  const SAFE_HREF = /^(https?:|mailto:)/i;
  const AUTO_RE = /(https?:\/\/[^\s<>"]+)|(^|[\s(])(\/[a-zA-Z0-9_]{1,32})(?![\w/])/g;

  function decode(text) {
    return text.replace(/&(#[xX][0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, name) => {
      if (name[0] === '#') {
        const hex = name[1] === 'x' || name[1] === 'X';
        const code = parseInt(name.slice(hex ? 2 : 1), hex ? 16 : 10);
        try { return String.fromCodePoint(code); } catch { return whole; }
      }
      return Object.prototype.hasOwnProperty.call(NAMED, name) ? NAMED[name] : whole;
    });
  }

  function parseAttrs(source) {
    const out = {};
    ATTR_RE.lastIndex = 0;
    let m;
    while ((m = ATTR_RE.exec(source || ''))) {
      out[m[1].toLowerCase()] = decode(m[2] ?? m[3] ?? m[4] ?? '');
    }
    return out;
  }

  /** Text with URLs and /commands made clickable (as Telegram clients do). */
  function appendText(parent, text, plain) {
    if (!text) return;
    if (plain) { parent.appendChild(document.createTextNode(text)); return; }
    let last = 0;
    AUTO_RE.lastIndex = 0;
    let m;
    while ((m = AUTO_RE.exec(text))) {
      let start = m.index;
      let token = m[1];
      if (!token) { start += m[2].length; token = m[3]; }
      if (m[1]) {
        token = token.replace(/[.,;:!?)\]]+$/, '');
        if (!token.length) continue;
      }
      parent.appendChild(document.createTextNode(text.slice(last, start)));
      parent.appendChild(m[1] ? linkElement(token) : commandElement(token));
      last = start + token.length;
      AUTO_RE.lastIndex = last;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  /** "https://t.me/<this bot>?start=<payload>" -> "/start <payload>": what Telegram does with
   *  a link to the bot itself (invite links, cross-references between answers). */
  function deepLinkStart(href) {
    const match = /^https?:\/\/t\.me\/([A-Za-z0-9_]+)\?start=([A-Za-z0-9_-]{1,64})$/.exec(href || '');
    if (!match || !ui.botUsername || match[1].toLowerCase() !== ui.botUsername.toLowerCase()) return null;
    return `/start ${match[2]}`;
  }

  function linkElement(href) {
    if (!SAFE_HREF.test(href)) return document.createTextNode(href);
    const a = document.createElement('a');
    a.href = href;
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    a.textContent = href;
    return a;
  }

  function commandElement(command) {
    const span = document.createElement('span');
    span.className = 'command';
    span.textContent = command;
    span.dataset.command = command;
    return span;
  }

  function tagElement(kind, attrs) {
    let el;
    switch (kind) {
      case 'a': {
        const href = attrs.href || '';
        if (SAFE_HREF.test(href)) {
          el = document.createElement('a');
          el.href = href;
          el.target = '_blank';
          el.rel = 'noopener noreferrer';
        } else {
          el = document.createElement('span');
          el.className = 'mention';
        }
        break;
      }
      case 'spoiler':
        el = document.createElement('span');
        el.className = 'spoiler';
        break;
      case 'emoji':
        el = document.createElement('span');
        break;
      case 'blockquote':
        el = document.createElement('blockquote');
        if ('expandable' in attrs) el.className = 'expandable collapsed';
        break;
      case 'code': {
        el = document.createElement('code');
        const lang = /^language-([\w+#.-]{1,32})$/.exec(attrs.class || '');
        if (lang) el.dataset.lang = lang[1];
        break;
      }
      default:
        el = document.createElement(kind);
    }
    return el;
  }

  /** Telegram's HTML parse mode: its tags become elements; any other markup stays literal text. */
  function renderHtml(html) {
    const root = document.createDocumentFragment();
    const stack = [{ tag: null, el: root, plain: false }];
    const top = () => stack[stack.length - 1];
    let last = 0;
    TAG_RE.lastIndex = 0;
    let m;
    while ((m = TAG_RE.exec(html))) {
      appendText(top().el, decode(html.slice(last, m.index)), top().plain);
      last = TAG_RE.lastIndex;
      const closing = m[1] === '/';
      const tag = m[2].toLowerCase();
      const kind = TAGS[tag];
      if (!closing && kind) {
        const attrs = parseAttrs(m[3]);
        if (tag === 'span' && attrs.class !== 'tg-spoiler') {
          appendText(top().el, m[0], true);
          continue;
        }
        const el = tagElement(kind, attrs);
        top().el.appendChild(el);
        stack.push({ tag, el, plain: top().plain || kind === 'a' || kind === 'code' || kind === 'pre' });
        continue;
      }
      if (closing && kind) {
        let depth = stack.length - 1;
        while (depth > 0 && stack[depth].tag !== tag) depth -= 1;
        if (depth > 0) { stack.length = depth; continue; }
      }
      appendText(top().el, m[0], true); // not a Telegram tag: shown as typed, never as markup
    }
    appendText(top().el, decode(html.slice(last)), top().plain);
    return root;
  }

  // ---- text + entities -> DOM (messages without HTML parse mode) -----------------------------

  function entityElement(entity, text) {
    const make = (name, cls) => {
      const el = document.createElement(name);
      if (cls) el.className = cls;
      return el;
    };
    switch (entity.type) {
      case 'bold': return make('b');
      case 'italic': return make('i');
      case 'underline': return make('u');
      case 'strikethrough': return make('s');
      case 'spoiler': return make('span', 'spoiler');
      case 'code': return make('code');
      case 'pre': {
        const pre = make('pre');
        const code = make('code');
        if (entity.language) code.dataset.lang = entity.language;
        pre.appendChild(code);
        return { outer: pre, inner: code };
      }
      case 'text_link': return tagElement('a', { href: entity.url || '' });
      case 'url': return tagElement('a', { href: /^[a-z]+:/i.test(text) ? text : `http://${text}` });
      case 'email': return tagElement('a', { href: `mailto:${text}` });
      case 'bot_command': {
        const el = make('span', 'command');
        el.dataset.command = text;
        return el;
      }
      case 'mention': case 'text_mention': case 'hashtag': case 'cashtag': case 'phone_number':
        return make('span', 'mention');
      case 'blockquote': return make('blockquote');
      case 'expandable_blockquote': return make('blockquote', 'expandable collapsed');
      default: return make('span');
    }
  }

  function buildEntities(parent, text, start, end, entities) {
    let cursor = start;
    let i = 0;
    while (i < entities.length) {
      const e = entities[i];
      const from = Math.max(e.offset, cursor);
      const to = Math.min(e.offset + e.length, end);
      let j = i + 1;
      const inner = [];
      while (j < entities.length && entities[j].offset < to) inner.push(entities[j++]);
      if (from < to) {
        parent.appendChild(document.createTextNode(text.slice(cursor, from)));
        const made = entityElement(e, text.slice(from, to));
        const outer = made.outer || made;
        buildEntities(made.inner || made, text, from, to, inner);
        parent.appendChild(outer);
        cursor = to;
      }
      i = j;
    }
    parent.appendChild(document.createTextNode(text.slice(cursor, end)));
  }

  /** Offsets are UTF-16 code units, like JavaScript strings: no conversion needed. */
  function renderEntities(text, entities) {
    const root = document.createDocumentFragment();
    const list = (entities || [])
      .filter((e) => e && e.length > 0)
      .slice()
      .sort((a, b) => a.offset - b.offset || b.length - a.length);
    buildEntities(root, text || '', 0, (text || '').length, list);
    return root;
  }

  // ---- state ---------------------------------------------------------------------------------

  const ui = {
    personas: [],
    current: null,
    chats: new Map(), // chat id -> Map(message id -> message)
    loaded: new Set(),
    unread: new Map(),
    commands: [],
    pending: new Map(), // user id -> button element waiting for answerCallbackQuery
    typingTimer: null,
    events: null,
    instance: null,
    botUsername: null,
  };

  async function api(path, body) {
    const init = body === undefined ? {} : {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    };
    const response = await fetch(path, init);
    let data = null;
    try { data = await response.json(); } catch { /* not JSON */ }
    if (!response.ok || !data || data.ok === false) {
      throw new Error((data && data.description) || `${response.status} ${response.statusText}`);
    }
    return data.result;
  }

  const persona = () => ui.personas.find((p) => p.id === ui.current);
  const chatOf = (id) => {
    if (!ui.chats.has(id)) ui.chats.set(id, new Map());
    return ui.chats.get(id);
  };

  // ---- rendering messages -----------------------------------------------------------------------

  const timeFormat = new Intl.DateTimeFormat('vi-VN', { hour: '2-digit', minute: '2-digit' });

  function textOf(m) {
    const media = m.kind === 'photo' || m.kind === 'document';
    const html = m.from_bot && m.html != null && (m.parse_mode || '').toUpperCase() === 'HTML';
    if (html) return renderHtml(m.html);
    return renderEntities(media ? m.caption : m.text, media ? m.caption_entities : m.entities);
  }

  function snippet(m) {
    if (!m) return '';
    if (m.kind === 'photo') return '🖼 Ảnh';
    if (m.kind === 'document') return `📎 ${m.filename || 'Tệp'}`;
    return (m.text || '').split('\n')[0].slice(0, 80);
  }

  function mediaOf(m) {
    if (m.kind === 'photo' && m.file_id) {
      const link = document.createElement('a');
      link.className = 'photo';
      link.href = `/control/file/${encodeURIComponent(m.file_id)}`;
      link.target = '_blank';
      link.rel = 'noopener';
      const img = document.createElement('img');
      img.src = link.href;
      img.alt = m.caption ? m.caption.slice(0, 120) : 'Ảnh';
      img.addEventListener('load', () => { if (nearBottom(200)) scrollToBottom(); });
      link.appendChild(img);
      return link;
    }
    if (m.kind === 'document' && m.file_id) {
      const link = document.createElement('a');
      link.className = 'document';
      link.href = `/control/file/${encodeURIComponent(m.file_id)}?download=1`;
      link.download = m.filename || '';
      const icon = document.createElement('span');
      icon.className = 'doc-icon';
      icon.textContent = '⬇';
      const info = document.createElement('span');
      info.className = 'doc-info';
      const name = document.createElement('span');
      name.className = 'doc-name';
      name.textContent = m.filename || 'Tệp';
      const sub = document.createElement('span');
      sub.className = 'doc-sub';
      sub.textContent = 'Tải xuống';
      info.append(name, sub);
      link.append(icon, info);
      return link;
    }
    if (!m.from_bot && m.kind === 'other' && !m.text) {
      const span = document.createElement('span');
      span.className = 'service';
      const p = m.payload || {};
      span.textContent = p.photo ? '🖼 Ảnh' : p.document ? `📎 ${p.document.file_name || 'Tệp'}` : '(tin nhắn không phải văn bản)';
      return span;
    }
    return null;
  }

  function keyboardOf(m) {
    const rows = (m.reply_markup && m.reply_markup.inline_keyboard) || [];
    if (!rows.length) return null;
    const box = document.createElement('div');
    box.className = 'keyboard';
    for (const row of rows) {
      const line = document.createElement('div');
      line.className = 'kb-row';
      for (const button of row) {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'kb-btn';
        b.textContent = button.text;
        if (button.url) {
          b.classList.add('kb-url');
          b.title = button.url;
        }
        b.addEventListener('click', () => pressButton(m, button, b));
        line.appendChild(b);
      }
      box.appendChild(line);
    }
    return box;
  }

  function renderMessage(m) {
    const row = document.createElement('div');
    row.className = `row ${m.from_bot ? 'in' : 'out'}`;
    row.dataset.id = String(m.message_id);
    const bubble = document.createElement('div');
    bubble.className = `bubble kind-${m.kind}`;
    if (m.reply_to_message_id) {
      const quoted = chatOf(m.chat_id).get(m.reply_to_message_id);
      const quote = document.createElement('div');
      quote.className = 'reply';
      quote.textContent = snippet(quoted) || '…';
      bubble.appendChild(quote);
    }
    const media = mediaOf(m);
    if (media) bubble.appendChild(media);
    const text = document.createElement('div');
    text.className = 'text';
    text.appendChild(textOf(m));
    if (text.textContent.length || !media) bubble.appendChild(text);
    else bubble.classList.add('media-only');
    const meta = document.createElement('span');
    meta.className = 'meta';
    meta.textContent = `${m.edits ? 'đã sửa ' : ''}${timeFormat.format(new Date(m.date * 1000))}${m.from_bot ? '' : ' ✓✓'}`;
    bubble.appendChild(meta);
    if (m.edits) bubble.classList.add('edited');
    row.appendChild(bubble);
    const keyboard = keyboardOf(m);
    if (keyboard) row.appendChild(keyboard);
    return row;
  }

  const list = () => $('messages');
  const nearBottom = (slack) => {
    const chat = $('chat');
    return chat.scrollHeight - chat.scrollTop - chat.clientHeight < slack;
  };
  const scrollToBottom = () => { const chat = $('chat'); chat.scrollTop = chat.scrollHeight; };

  /** Insert or replace (an edit) one message of the visible chat, in message-id order. */
  function showMessage(m) {
    const container = list();
    const old = container.querySelector(`.row[data-id="${m.message_id}"]`);
    if (m.deleted) {
      if (old) old.remove();
      updateEmpty();
      return;
    }
    const stick = nearBottom(120) || !m.from_bot;
    const row = renderMessage(m);
    if (old) {
      old.replaceWith(row);
    } else {
      const after = [...container.children].find((r) => Number(r.dataset.id) > m.message_id);
      container.insertBefore(row, after || null);
      if (stick) scrollToBottom();
      else $('new-below').hidden = false;
    }
    updateEmpty();
  }

  function renderChat() {
    const container = list();
    container.replaceChildren();
    const messages = [...chatOf(ui.current).values()].sort((a, b) => a.message_id - b.message_id);
    for (const m of messages) if (!m.deleted) container.appendChild(renderMessage(m));
    updateEmpty();
    scrollToBottom();
  }

  function updateEmpty() {
    const empty = !list().children.length && ui.loaded.has(ui.current);
    $('empty').hidden = !empty;
  }

  // ---- personas ---------------------------------------------------------------------------------

  function renderPersonas() {
    const nav = $('personas');
    nav.replaceChildren();
    for (const p of ui.personas) {
      const tab = document.createElement('button');
      tab.type = 'button';
      tab.className = `persona role-${p.role}`;
      tab.setAttribute('role', 'tab');
      tab.dataset.role = p.role;
      tab.setAttribute('aria-selected', String(p.id === ui.current));
      const title = document.createElement('span');
      title.className = 'p-title';
      title.textContent = p.label;
      const who = document.createElement('span');
      who.className = 'p-who';
      who.textContent = `${p.icon} ${p.first_name} · ${p.id}`;
      tab.append(title, who);
      const count = ui.unread.get(p.id) || 0;
      if (count) {
        const badge = document.createElement('span');
        badge.className = 'p-badge';
        badge.textContent = count > 99 ? '99+' : String(count);
        tab.appendChild(badge);
      }
      tab.addEventListener('click', () => switchPersona(p.id));
      nav.appendChild(tab);
    }
  }

  async function switchPersona(id) {
    ui.current = id;
    ui.unread.delete(id);
    try { localStorage.setItem('htx-sandbox-persona', String(id)); } catch { /* private mode */ }
    history.replaceState(null, '', `#${persona().role}`);
    renderPersonas();
    hideCommands();
    renderCommandsButton();
    setTyping(false);
    $('toast').hidden = true;
    renderChat();
    if (!ui.loaded.has(id)) await loadHistory(id);
    $('input').focus();
  }

  /** Merge a chat's history: a live event may already have brought a newer edit or a delete. */
  async function loadHistory(id) {
    const messages = await api(`/control/messages?chat_id=${id}&all=1`);
    const chat = chatOf(id);
    for (const m of messages) {
      const known = chat.get(m.message_id);
      if (!known || (!known.deleted && m.edits >= known.edits)) chat.set(m.message_id, m);
    }
    ui.loaded.add(id);
    if (id === ui.current) renderChat();
  }

  // ---- actions ----------------------------------------------------------------------------------

  async function say(text) {
    const p = persona();
    if (!p || !text.trim()) return;
    try {
      await api('/control/say', {
        user_id: p.id,
        text,
        first_name: p.first_name,
        username: p.username,
        language_code: 'vi',
      });
    } catch (err) {
      toast(`Không gửi được: ${err.message}`, 'warn');
    }
  }

  /** The persona sends a file (as a Telegram document), e.g. an admin's edited knowledge. */
  async function sendFile(file) {
    const p = persona();
    if (!p || !file) return;
    try {
      const data = await new Promise((resolve, reject) => {
        const reader = new FileReader();
        reader.onload = () => resolve(String(reader.result).split(',', 2)[1] || '');
        reader.onerror = () => reject(reader.error);
        reader.readAsDataURL(file);
      });
      await api('/control/document', {
        user_id: p.id,
        filename: file.name,
        data,
        mime_type: file.type || undefined,
        first_name: p.first_name,
        language_code: 'vi',
      });
    } catch (err) {
      toast(`Không gửi được tệp: ${err.message}`, 'warn');
    }
  }

  async function pressButton(m, button, element) {
    const p = persona();
    if (button.url) {
      window.open(button.url, '_blank', 'noopener');
      return;
    }
    if (button.copy_text && navigator.clipboard) {
      await navigator.clipboard.writeText(button.copy_text.text || '');
      toast('Đã sao chép');
      return;
    }
    if (button.callback_data === undefined) {
      toast('Loại nút này không có trong sandbox', 'warn');
      return;
    }
    element.classList.add('pending');
    ui.pending.set(p.id, element);
    setTimeout(() => element.classList.remove('pending'), 10000);
    try {
      await api('/control/press', {
        user_id: p.id,
        chat_id: m.chat_id,
        message_id: m.message_id,
        data: button.callback_data,
      });
    } catch (err) {
      element.classList.remove('pending');
      toast(`Không bấm được: ${err.message}`, 'warn');
    }
  }

  // ---- commands menu ----------------------------------------------------------------------------

  function commandsFor(p) {
    const pick = (type, lang) => ui.commands.find((c) => c.scope.type === type
      && (type !== 'chat' || Number(c.scope.chat_id) === p.id) && c.language_code === lang);
    const found = pick('chat', 'vi') || pick('chat', '') || pick('default', 'vi') || pick('default', '');
    return found ? found.commands : [];
  }

  async function loadCommands() {
    try { ui.commands = await api('/control/commands'); } catch { ui.commands = []; }
    renderCommandsButton();
  }

  function renderCommandsButton() {
    const p = persona();
    $('menu-btn').hidden = !p || !commandsFor(p).length;
  }

  function hideCommands() { $('commands').hidden = true; }

  function toggleCommands() {
    const box = $('commands');
    if (!box.hidden) { hideCommands(); return; }
    box.replaceChildren();
    for (const c of commandsFor(persona())) {
      const item = document.createElement('button');
      item.type = 'button';
      item.className = 'cmd';
      item.setAttribute('role', 'menuitem');
      const name = document.createElement('span');
      name.className = 'cmd-name';
      name.textContent = `/${c.command}`;
      const desc = document.createElement('span');
      desc.className = 'cmd-desc';
      desc.textContent = c.description;
      item.append(name, desc);
      item.addEventListener('click', () => { hideCommands(); say(`/${c.command}`); });
      box.appendChild(item);
    }
    box.hidden = false;
  }

  // ---- notices ----------------------------------------------------------------------------------

  let toastTimer = null;
  function toast(text, kind) {
    const el = $('toast');
    el.textContent = text;
    el.className = `toast${kind ? ` ${kind}` : ''}`;
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { el.hidden = true; }, Math.min(8000, 2500 + text.length * 40));
  }

  function alertBox(text) {
    $('alert-text').textContent = text;
    $('alert').hidden = false;
    $('alert-ok').focus();
  }

  function setTyping(on) {
    clearTimeout(ui.typingTimer);
    $('bot-status').textContent = on ? 'đang nhập…' : 'bot';
    $('bot-status').classList.toggle('typing', on);
    if (on) ui.typingTimer = setTimeout(() => setTyping(false), 5000);
  }

  // ---- live events ------------------------------------------------------------------------------

  function onEvent(event) {
    switch (event.type) {
      case 'message':
      case 'user_message':
      case 'edit': {
        const m = event.message;
        chatOf(m.chat_id).set(m.message_id, m);
        if (m.chat_id === ui.current) {
          if (m.from_bot && event.type === 'message') setTyping(false);
          showMessage(m);
        } else if (event.type === 'message' && ui.personas.some((p) => p.id === m.chat_id)) {
          ui.unread.set(m.chat_id, (ui.unread.get(m.chat_id) || 0) + 1);
          renderPersonas();
        }
        break;
      }
      case 'delete': {
        const m = chatOf(event.chat_id).get(event.message_id);
        if (m) m.deleted = true;
        if (event.chat_id === ui.current && m) showMessage(m);
        break;
      }
      case 'callback_answer': {
        const button = ui.pending.get(event.user_id);
        if (button) { button.classList.remove('pending'); ui.pending.delete(event.user_id); }
        if (event.user_id !== ui.current) break;
        if (event.text && event.show_alert) alertBox(event.text);
        else if (event.text) toast(event.text);
        break;
      }
      case 'chat_action':
        if (event.chat_id === ui.current && event.action === 'typing') setTyping(true);
        break;
      case 'commands':
        loadCommands();
        break;
      case 'error':
        if (event.method.toLowerCase() !== 'getupdates' && event.code !== 409) {
          toast(`Bot API từ chối ${event.method}: ${event.code} ${event.description}`, 'warn');
        }
        break;
      case 'server_closing':
        reconnect();
        break;
      default:
        break;
    }
  }

  function connect() {
    if (ui.events) ui.events.close();
    const source = new EventSource('/control/events');
    ui.events = source;
    source.onopen = async () => {
      $('conn').hidden = true;
      // Subscribed before this fires: reload what may have been missed, then apply live events.
      const config = await api('/sandbox/config').catch(() => null);
      if (config && config.instance !== ui.instance) {
        ui.instance = config.instance; // a new sandbox process: its chats start empty
        ui.chats.clear();
        ui.unread.clear();
        renderPersonas();
        renderChat();
      }
      await Promise.all(ui.personas.map((p) => loadHistory(p.id).catch(() => {})));
      loadCommands();
    };
    source.onmessage = (msg) => {
      let event;
      try { event = JSON.parse(msg.data); } catch { return; }
      onEvent(event);
    };
    source.onerror = () => {
      $('conn').hidden = false;
      if (source.readyState === EventSource.CLOSED) reconnect();
    };
  }

  let reconnectTimer = null;
  function reconnect() {
    $('conn').hidden = false;
    if (ui.events) { ui.events.close(); ui.events = null; }
    clearTimeout(reconnectTimer);
    reconnectTimer = setTimeout(connect, 1500);
  }

  // ---- start ------------------------------------------------------------------------------------

  function autoGrow() {
    const input = $('input');
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight, 120)}px`;
  }

  const MAX_MESSAGE = 4096;

  /** Telegram sends a longer text as several messages, cut at the last line break or space. */
  function splitLikeTelegram(text) {
    const parts = [];
    let rest = text;
    while (rest.length > MAX_MESSAGE) {
      let cut = rest.lastIndexOf('\n', MAX_MESSAGE);
      if (cut < MAX_MESSAGE / 2) cut = rest.lastIndexOf(' ', MAX_MESSAGE);
      if (cut < MAX_MESSAGE / 2) cut = MAX_MESSAGE;
      parts.push(rest.slice(0, cut));
      rest = rest.slice(cut).replace(/^\s+/, '');
    }
    if (rest.trim()) parts.push(rest);
    return parts;
  }

  function send() {
    const input = $('input');
    const text = input.value;
    if (!text.trim()) return;
    input.value = '';
    autoGrow();
    hideCommands();
    for (const part of splitLikeTelegram(text)) say(part);
  }

  function wire() {
    $('composer').addEventListener('submit', (e) => { e.preventDefault(); send(); });
    $('input').addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); }
    });
    $('input').addEventListener('input', autoGrow);
    $('menu-btn').addEventListener('click', toggleCommands);
    $('attach').addEventListener('click', () => $('file-input').click());
    $('file-input').addEventListener('change', (e) => {
      const [file] = e.target.files;
      e.target.value = '';
      sendFile(file);
    });
    $('start-btn').addEventListener('click', () => say('/start'));
    $('alert-ok').addEventListener('click', () => { $('alert').hidden = true; });
    $('messages').addEventListener('click', (e) => {
      const target = e.target instanceof Element ? e.target : null;
      if (!target) return;
      const spoiler = target.closest('.spoiler');
      if (spoiler) { spoiler.classList.add('revealed'); return; }
      const quote = target.closest('blockquote.expandable');
      if (quote) { quote.classList.toggle('collapsed'); return; }
      const command = target.closest('.command');
      if (command && command.dataset.command) say(command.dataset.command);
      const link = target.closest('a[href]');
      const start = link && deepLinkStart(link.getAttribute('href'));
      if (start) { e.preventDefault(); say(start); }
    });
    $('chat').addEventListener('scroll', () => { if (nearBottom(40)) $('new-below').hidden = true; });
    $('new-below').addEventListener('click', () => { scrollToBottom(); $('new-below').hidden = true; });
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') { hideCommands(); $('alert').hidden = true; }
    });
  }

  async function start() {
    wire();
    const config = await api('/sandbox/config');
    ui.personas = config.personas;
    ui.botUsername = config.bot.username;
    ui.instance = config.instance;
    $('bot-name').textContent = config.bot.name;
    const byHash = ui.personas.find((p) => `#${p.role}` === location.hash);
    let saved = null;
    try { saved = Number(localStorage.getItem('htx-sandbox-persona')); } catch { /* private mode */ }
    const initial = byHash || ui.personas.find((p) => p.id === saved) || ui.personas[0];
    await switchPersona(initial.id);
    connect();
  }

  window.HTXSandbox = { renderHtml, renderEntities, decode };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
