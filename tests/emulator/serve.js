// Serves jehy/telegram-test-api on 127.0.0.1:PORT for tests/channels/test_telegram_emulator.py.
// Two of its answers are completed with fields the Bot API documents as always present, which
// aiogram therefore requires: getMe's `is_bot` (https://core.telegram.org/bots/api#user) and a
// callback query's `chat_instance` (https://core.telegram.org/bots/api#callbackquery).
const {routes} = require('telegram-test-api/lib/routes');
const index = routes.findIndex((route) => route.name === 'getMe');
if (index === -1) throw new Error('the emulator has no getMe route to correct');
routes[index] = (app) => {
  app.all('/bot:token/getMe', (req, res) => {
    res.sendResult({ok: true, result: {id: 666, is_bot: true, first_name: 'Emulated', username: 'EmulatedBot'}});
  });
};
const TelegramServer = require('telegram-test-api');
const formatUpdate = TelegramServer.formatUpdate;
TelegramServer.formatUpdate = (update) => {
  const formatted = formatUpdate(update);
  if (formatted.callback_query) formatted.callback_query.chat_instance = String(formatted.callback_query.message.chat.id);
  return formatted;
};
const server = new TelegramServer({port: Number(process.argv[2]), host: '127.0.0.1', storeTimeout: 600});
server.start().then(() => console.log(`listening ${server.config.apiURL}`));
process.on('SIGTERM', () => server.stop().then(() => process.exit(0)));
