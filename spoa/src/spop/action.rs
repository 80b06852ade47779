//! LIST-OF-ACTIONS (ACK payload): set-var and unset-var.

use bytes::Bytes;

use super::{encode_name, DecodeError, Reader, TypedData};

const SET_VAR: u8 = 1;
const UNSET_VAR: u8 = 2;

/// Variable scope; HAProxy names the variable `<scope>.<var-prefix>.<name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VarScope {
    /// `proc` (needs `force-set-var` on the HAProxy side).
    Process = 0,
    /// `sess`.
    Session = 1,
    /// `txn`.
    Transaction = 2,
    /// `req`.
    Request = 3,
    /// `res`.
    Response = 4,
}

impl VarScope {
    fn from_u8(b: u8) -> Option<VarScope> {
        Some(match b {
            0 => VarScope::Process,
            1 => VarScope::Session,
            2 => VarScope::Transaction,
            3 => VarScope::Request,
            4 => VarScope::Response,
            _ => return None,
        })
    }
}

/// One action of an ACK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Set a variable (a NULL value unsets it on HAProxy's side).
    SetVar {
        /// Scope.
        scope: VarScope,
        /// Name without scope and prefix (`fail`).
        name: String,
        /// Value.
        value: TypedData,
    },
    /// Unset a variable.
    UnsetVar {
        /// Scope.
        scope: VarScope,
        /// Name without scope and prefix.
        name: String,
    },
}

impl Action {
    /// `set-var(txn.<prefix>.<name>)`.
    pub fn set_txn(name: &str, value: TypedData) -> Action {
        Action::SetVar {
            scope: VarScope::Transaction,
            name: name.to_string(),
            value,
        }
    }

    /// The variable name.
    pub fn name(&self) -> &str {
        match self {
            Action::SetVar { name, .. } | Action::UnsetVar { name, .. } => name,
        }
    }

    /// Appends the encoding.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Action::SetVar { scope, name, value } => {
                out.extend_from_slice(&[SET_VAR, 3, *scope as u8]);
                encode_name(name.as_bytes(), out);
                value.encode(out);
            }
            Action::UnsetVar { scope, name } => {
                out.extend_from_slice(&[UNSET_VAR, 2, *scope as u8]);
                encode_name(name.as_bytes(), out);
            }
        }
    }
}

/// Appends every action.
pub fn encode_actions(actions: &[Action], out: &mut Vec<u8>) {
    for a in actions {
        a.encode(out);
    }
}

/// Decodes an ACK payload (what HAProxy does; used by tests and tools).
pub fn decode_actions(payload: Bytes) -> Result<Vec<Action>, DecodeError> {
    let mut r = Reader::new(payload);
    let mut out = Vec::new();
    while !r.is_empty() {
        let kind = r.u8("action type")?;
        let nb = r.u8("action argument count")?;
        let scope = r.u8("variable scope")?;
        let scope = VarScope::from_u8(scope).ok_or(DecodeError::BadAction("unknown scope"))?;
        let name = r.length_prefixed("variable name")?;
        let name = String::from_utf8_lossy(&name).into_owned();
        match (kind, nb) {
            (SET_VAR, 3) => {
                let value = TypedData::decode(&mut r)?;
                out.push(Action::SetVar { scope, name, value });
            }
            (UNSET_VAR, 2) => out.push(Action::UnsetVar { scope, name }),
            (SET_VAR | UNSET_VAR, _) => return Err(DecodeError::BadAction("wrong argument count")),
            _ => return Err(DecodeError::BadAction("unknown action type")),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example_bytes() {
        let mut out = Vec::new();
        Action::set_txn("fail", TypedData::Int32(1)).encode(&mut out);
        assert_eq!(
            out,
            [0x01, 0x03, 0x02, 0x04, b'f', b'a', b'i', b'l', 0x02, 0x01]
        );
    }

    #[test]
    fn round_trip_all_scopes() {
        let actions = vec![
            Action::SetVar {
                scope: VarScope::Process,
                name: "a".into(),
                value: TypedData::Int64(-3),
            },
            Action::SetVar {
                scope: VarScope::Session,
                name: "b".into(),
                value: TypedData::string("deny"),
            },
            Action::set_txn("c", TypedData::Bool(true)),
            Action::UnsetVar {
                scope: VarScope::Request,
                name: "d".into(),
            },
            Action::UnsetVar {
                scope: VarScope::Response,
                name: "e".into(),
            },
        ];
        let mut out = Vec::new();
        encode_actions(&actions, &mut out);
        assert_eq!(decode_actions(Bytes::from(out)).unwrap(), actions);
    }

    #[test]
    fn bad_actions() {
        assert!(decode_actions(Bytes::from_static(&[9, 3, 2, 1, b'x', 0])).is_err());
        assert!(decode_actions(Bytes::from_static(&[1, 2, 2, 1, b'x'])).is_err());
        assert!(decode_actions(Bytes::from_static(&[1, 3, 7, 1, b'x', 0])).is_err());
    }
}
