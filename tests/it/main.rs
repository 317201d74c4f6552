//! Every integration test in one binary: linechat started as a real
//! process on free ports, driven over real sockets by real peers.
//! `support` holds the one server handle, client and waiting helpers.

mod support;

mod accounts;
mod chat;
mod client;
mod cluster;
mod deletions;
mod external_clients;
mod garbage;
mod handlers;
mod history;
mod irc;
mod irc_websocket;
mod ircv3;
mod irssi;
mod json;
mod languages;
mod limits;
mod moderation;
mod nc_scripts;
mod operations;
mod read_markers;
mod registered_rooms;
mod rooms;
mod signals;
mod soak;
mod tls;
mod web;
