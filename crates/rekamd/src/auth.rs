//! Who is calling, and what they may do.
//!
//! Over the Unix socket the kernel tells us the caller's uid (`SO_PEERCRED`); the socket itself
//! is mode 0660, group `rekam`, so only station users reach it at all. Roles come from the
//! `[auth]` configuration: root and the daemon's own uid hold every role; technicians are also
//! operators (they run demo enrolments); auditors only audit. TCP callers (loopback only) have
//! no credentials and get `auth.tcp_role`, never technician.

use std::collections::HashSet;

use rekam_proto::status::error_status;
use rekam_proto::v1::ErrorReason;
use rekam_store::{Actor, ActorKind};
use tonic::transport::server::{TcpConnectInfo, UdsConnectInfo};
use tonic::{Code, Request, Status};

use crate::config::{AuthConfig, Role};

/// The caller of one request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// A label for audit records: `uid:1000` or `tcp:127.0.0.1:40000`.
    pub label: String,
    roles: HashSet<Role>,
}

impl Caller {
    /// Identifies the caller of `req` under `auth`.
    pub fn of<T>(req: &Request<T>, auth: &AuthConfig) -> Caller {
        if let Some(info) = req.extensions().get::<UdsConnectInfo>() {
            if let Some(cred) = info.peer_cred {
                return Caller::from_uid(cred.uid(), auth);
            }
        }
        if let Some(info) = req.extensions().get::<TcpConnectInfo>() {
            let label = info
                .remote_addr
                .map(|a| format!("tcp:{a}"))
                .unwrap_or_else(|| "tcp:unknown".to_owned());
            return Caller {
                label,
                roles: auth.tcp_role.into_iter().collect(),
            };
        }
        // In-process callers (tests through a duplex channel) carry no transport info.
        Caller {
            label: "local".to_owned(),
            roles: HashSet::new(),
        }
    }

    /// The roles of a Unix uid.
    pub fn from_uid(uid: u32, auth: &AuthConfig) -> Caller {
        let own = nix::unistd::geteuid().as_raw();
        let mut roles = HashSet::new();
        if uid == 0 || uid == own {
            roles.extend([Role::Operator, Role::Technician, Role::Auditor]);
        }
        if auth.technician_uids.contains(&uid) {
            roles.extend([Role::Operator, Role::Technician]);
        }
        if auth.auditor_uids.contains(&uid) {
            roles.insert(Role::Auditor);
        }
        match &auth.operator_uids {
            None => {
                roles.insert(Role::Operator);
            }
            Some(uids) if uids.contains(&uid) => {
                roles.insert(Role::Operator);
            }
            Some(_) => {}
        }
        Caller {
            label: format!("uid:{uid}"),
            roles,
        }
    }

    /// True when the caller holds `role`.
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// `Ok` when the caller holds `role`, else PERMISSION_DENIED naming the role.
    pub fn require(&self, role: Role) -> Result<(), Status> {
        if self.has(role) {
            Ok(())
        } else {
            Err(error_status(
                Code::PermissionDenied,
                ErrorReason::PermissionDenied,
                format!(
                    "this call needs the {role:?} role; {} does not have it",
                    self.label
                ),
                [("role".to_owned(), format!("{role:?}").to_lowercase())],
            ))
        }
    }

    /// The audit actor for this caller acting in `role`, with the operator id the client gave.
    pub fn actor(&self, role: Role, operator_id: &str) -> Actor {
        let kind = match role {
            Role::Operator => ActorKind::Operator,
            Role::Technician => ActorKind::Technician,
            Role::Auditor => ActorKind::Auditor,
        };
        let id = if operator_id.is_empty() {
            self.label.clone()
        } else {
            format!("{operator_id}@{}", self.label)
        };
        Actor { kind, id }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth() -> AuthConfig {
        AuthConfig {
            technician_uids: vec![1001],
            auditor_uids: vec![1002],
            operator_uids: None,
            tcp_role: Some(Role::Operator),
        }
    }

    #[test]
    fn roles_follow_the_config() {
        let a = auth();
        let root = Caller::from_uid(0, &a);
        assert!(root.has(Role::Technician) && root.has(Role::Auditor) && root.has(Role::Operator));
        let tech = Caller::from_uid(1001, &a);
        assert!(tech.has(Role::Technician) && tech.has(Role::Operator) && !tech.has(Role::Auditor));
        let auditor = Caller::from_uid(1002, &a);
        assert!(auditor.has(Role::Auditor));
        let nobody = Caller::from_uid(4242, &a);
        if nix::unistd::geteuid().as_raw() != 4242 {
            assert!(nobody.has(Role::Operator) && !nobody.has(Role::Technician));
            assert_eq!(
                nobody.require(Role::Technician).unwrap_err().code(),
                Code::PermissionDenied
            );
        }
    }

    #[test]
    fn operator_list_restricts_operators() {
        let mut a = auth();
        a.operator_uids = Some(vec![2000]);
        if nix::unistd::geteuid().as_raw() != 4242 {
            assert!(!Caller::from_uid(4242, &a).has(Role::Operator));
        }
        assert!(Caller::from_uid(2000, &a).has(Role::Operator));
    }
}
