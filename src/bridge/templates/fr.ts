import type { Catalog } from "./catalog.js";

/** Built-in French templates; operators override single keys in `<overrideDir>/fr.yaml`. */
export const fr: Catalog = {
  "subject.quota.firing": [
    "Sauvegarde {{account}} : espace plein vers le {{fullDate}} au rythme actuel",
    "Sauvegarde {{account}} : espace occupé à {{usedPercent}}",
    "Sauvegarde {{account}} : espace presque plein",
  ],
  "subject.quota.resolved": [
    "Sauvegarde {{account}} : l’espace ne devrait plus être plein le {{fullDate}}",
    "Sauvegarde {{account}} : espace de nouveau sous le seuil d'alerte",
  ],
  "subject.schedule.firing": [
    "Sauvegarde {{account}} : {{missed, plural, one {# sauvegarde planifiée manquée} other {# sauvegardes planifiées manquées}}}",
    "Sauvegarde {{account}} : aucune sauvegarde réussie depuis le {{lastSuccessDate}}",
    "Sauvegarde {{account}} : aucune sauvegarde réussie depuis au moins {{daysThreshold, plural, one {# jour} other {# jours}}}",
    "Sauvegarde {{account}} : sauvegardes planifiées manquées",
  ],
  "subject.schedule.resolved": ["Sauvegarde {{account}} : les sauvegardes ont repris comme prévu"],
  "subject.unsuccessful.firing": [
    "Sauvegarde {{account}} : {{failures, plural, one {# sauvegarde a échoué} other {# sauvegardes échouées de suite}}}",
    "Sauvegarde {{account}} : échec de la sauvegarde",
  ],
  "subject.unsuccessful.resolved": ["Sauvegarde {{account}} : les sauvegardes réussissent de nouveau"],
  "subject.upgrade.firing": [
    "Sauvegarde {{account}} : veuillez mettre à jour {{client}} {{clientVersion}}",
    "Sauvegarde {{account}} : veuillez mettre à jour le logiciel de sauvegarde",
  ],
  "subject.upgrade.resolved": ["Sauvegarde {{account}} : logiciel de sauvegarde à jour"],
  "subject.nobackup.firing": ["Sauvegarde {{account}} : aucune sauvegarde reçue"],
  "subject.unreadable.firing": [
    "Sauvegarde {{account}} : l'état du logiciel de sauvegarde sur {{host}} est illisible",
    "Sauvegarde {{account}} : l'état du logiciel de sauvegarde est illisible",
  ],
  "subject.nobackup.resolved": ["Sauvegarde {{account}} : première sauvegarde reçue"],
  "subject.unreadable.resolved": [
    "Sauvegarde {{account}} : l'état du logiciel de sauvegarde est de nouveau lisible",
  ],
  "subject.generic.firing": [
    "Sauvegarde {{account}} : {{summary}}",
    "Surveillance des sauvegardes : {{summary}}",
    "Surveillance des sauvegardes : {{alertname}}",
  ],
  "subject.generic.resolved": [
    "Résolu : sauvegarde {{account}} : {{summary}}",
    "Résolu : {{summary}}",
    "Résolu : {{alertname}}",
  ],
  "subject.coalesced.firing": [
    "{{count, plural, one {# problème de sauvegarde} other {# problèmes de sauvegarde}}}",
  ],
  "subject.coalesced.resolved": [
    "{{count, plural, one {# problème de sauvegarde résolu} other {# problèmes de sauvegarde résolus}}}",
  ],
  "subject.coalesced.mixed": [
    "{{problems, plural, one {# problème de sauvegarde} other {# problèmes de sauvegarde}}}, {{solved, plural, one {# résolu} other {# résolus}}}",
  ],
  "title.quota.firing": [
    "Espace plein vers le {{fullDate}}",
    "Espace occupé à {{usedPercent}}",
    "Espace presque plein",
  ],
  "title.quota.resolved": [
    "L’espace ne devrait plus être plein le {{fullDate}}",
    "Espace de nouveau sous le seuil d'alerte",
  ],
  "title.schedule.firing": [
    "{{missed, plural, one {# sauvegarde planifiée manquée} other {# sauvegardes planifiées manquées}}}",
    "Aucune sauvegarde réussie récemment",
  ],
  "title.schedule.resolved": ["Les sauvegardes ont repris comme prévu"],
  "title.unsuccessful.firing": [
    "{{failures, plural, one {# sauvegarde a échoué} other {# sauvegardes échouées de suite}}}",
    "Échec de la sauvegarde",
  ],
  "title.unsuccessful.resolved": ["Les sauvegardes réussissent de nouveau"],
  "title.upgrade.firing": ["Logiciel de sauvegarde trop ancien"],
  "title.upgrade.resolved": ["Logiciel de sauvegarde à jour"],
  "title.nobackup.firing": ["Aucune sauvegarde reçue"],
  "title.unreadable.firing": ["État du logiciel de sauvegarde illisible"],
  "title.nobackup.resolved": ["Première sauvegarde reçue"],
  "title.unreadable.resolved": ["État du logiciel de sauvegarde de nouveau lisible"],
  "title.generic.firing": ["{{summary}}", "{{alertname}}"],
  "title.generic.resolved": ["Résolu : {{summary}}", "Résolu : {{alertname}}"],
  "greeting.customer": ["Bonjour {{name}},", "Bonjour,"],
  "greeting.reseller": ["Bonjour,"],
  "greeting.operator": ["Bonjour,"],
  "intro.customer": ["La surveillance de votre sauvegarde en ligne signale ce qui suit :"],
  "intro.reseller": ["La surveillance des sauvegardes en ligne de vos clients signale ce qui suit :"],
  "intro.operator": ["La surveillance des sauvegardes signale ce qui suit :"],
  "heading.customer": [
    "{{title}} (compte {{account}}, ordinateur {{host}})",
    "{{title}} (compte {{account}})",
    "{{title}}",
  ],
  "heading.reseller": [
    "{{title}} (compte {{account}} de {{customer}}, ordinateur {{host}})",
    "{{title}} (compte {{account}} de {{customer}})",
    "{{title}} (compte {{account}}, ordinateur {{host}})",
    "{{title}} (compte {{account}})",
    "{{title}}",
  ],
  "heading.operator": [
    "{{title}} (compte {{account}}, ordinateur {{host}})",
    "{{title}} (compte {{account}})",
    "{{title}} (ordinateur {{host}})",
    "{{title}}",
  ],
  "facts.quota.firing": [
    "Espace occupé : {{usedGiB}} Gio sur {{quotaGiB}} Gio ({{usedPercent}}).",
    "Seuil d'alerte : {{warningPercent}}.",
    "Au rythme des 30 derniers jours, l’espace sera plein vers le {{fullDate}} : les nouvelles sauvegardes échoueront alors.",
  ],
  "facts.quota.resolved": [
    "Espace occupé maintenant : {{usedGiB}} Gio sur {{quotaGiB}} Gio ({{usedPercent}}).",
  ],
  "facts.schedule.firing": [
    "Aucune sauvegarde réussie depuis au moins {{daysThreshold, plural, one {# jour} other {# jours}}}.",
    "Dernière sauvegarde réussie : {{lastSuccess}}.",
    "Prochaine sauvegarde planifiée : {{nextSchedule}}.",
  ],
  "facts.schedule.resolved": ["Dernière sauvegarde réussie : {{lastSuccess}}."],
  "facts.unsuccessful.firing": ["Dernière sauvegarde réussie : {{lastSuccess}}."],
  "facts.unsuccessful.resolved": ["Dernière sauvegarde réussie : {{lastSuccess}}."],
  "facts.upgrade.firing": ["Logiciel installé : {{client}} {{clientVersion}}."],
  "facts.upgrade.resolved": ["Installé maintenant : {{client}} {{clientVersion}}."],
  "facts.nobackup.firing": ["Compte créé le {{created}}. Aucune sauvegarde n'a été reçue depuis."],
  "facts.unreadable.firing": [
    "{{unreadableFiles, plural, one {# fichier d'état écrit sur le serveur par le logiciel de sauvegarde n'a pas pu être lu (endommagé} other {# fichiers d'état écrits sur le serveur par le logiciel de sauvegarde n'ont pas pu être lus (endommagés}}} ou dans un format que cette surveillance ne connaît pas).",
    "Nous ne pouvons donc pas savoir si ses sauvegardes réussissent.",
  ],
  "facts.nobackup.resolved": [],
  "facts.unreadable.resolved": [],
  "facts.generic.firing": ["{{description}}", "Depuis : {{startsAt}}."],
  "facts.generic.resolved": ["{{description}}", "Résolu le : {{endsAt}}."],
  "facts.unknownAccount": [
    "Le compte {{account}} ne figure pas dans l'annuaire ; cet avis est donc adressé à l'exploitation.",
  ],
  "facts.undeliverable": [
    "Non remis au client ni au revendeur : {{reason}}. Cet avis est adressé à l'exploitation à la place.",
  ],
  "advice.quota": [
    "Veuillez supprimer les sauvegardes inutiles ou commander plus d'espace : {{selfCareUrl}}",
  ],
  "advice.schedule": [
    "Veuillez vérifier que l'ordinateur est allumé à l'heure prévue et que le logiciel de sauvegarde fonctionne. Réglages et aide : {{selfCareUrl}}",
  ],
  "advice.unsuccessful": [
    "Veuillez ouvrir le logiciel de sauvegarde et consulter le journal de la dernière exécution. Aide : {{selfCareUrl}}",
  ],
  "advice.upgrade": ["Veuillez installer la dernière version du logiciel de sauvegarde : {{selfCareUrl}}"],
  "advice.nobackup": [
    "Veuillez installer le logiciel de sauvegarde et lancer une première sauvegarde. Mode d'emploi : {{selfCareUrl}}",
  ],
  "advice.unreadable": [
    "Veuillez mettre à jour le logiciel de sauvegarde ou le réinstaller : {{selfCareUrl}}",
  ],
  "advice.generic": ["Plus d'informations : {{selfCareUrl}}"],
  "footer.customer": [
    "Vous recevez ce message parce que les avertissements de sauvegarde sont activés pour votre compte.",
    "Vous pouvez modifier ce réglage sur {{settingsUrl}}",
    "Votre équipe sauvegarde",
  ],
  "footer.reseller": [
    "Vous recevez ce message en tant que revendeur de ces comptes.",
    "Votre équipe sauvegarde",
  ],
  "footer.operator": ["stoney backup monitor"],
  "subject.quota.changed": [
    "Sauvegarde {{account}} : seuil d’alerte maintenant à {{warningPercent}}, {{usedPercent}} occupé",
    "Sauvegarde {{account}} : alerte d’espace désactivée, {{usedPercent}} occupé",
  ],
  "title.quota.changed": ["Seuil d’alerte relevé à {{warningPercent}}", "Alerte d’espace désactivée"],
  "facts.quota.changed": [
    "Espace occupé maintenant : {{usedGiB}} Gio sur {{quotaGiB}} Gio ({{usedPercent}}).",
    "Seuil d’alerte maintenant : {{warningPercent}}. Vous serez de nouveau averti si l’espace occupé le dépasse.",
  ],
  "subject.schedule.changed": [
    "Sauvegarde {{account}} : seuil d’alerte modifié, toujours aucune sauvegarde réussie depuis le {{lastSuccessDate}}",
    "Sauvegarde {{account}} : seuil d’alerte modifié, toujours aucune sauvegarde réussie",
  ],
  "title.schedule.changed": ["Seuil d’alerte des sauvegardes manquées modifié"],
  "facts.schedule.changed": [
    "Vous serez désormais averti après {{threshold, plural, one {# sauvegarde manquée} other {# sauvegardes manquées}}}.",
    "Vous serez désormais averti après {{daysThreshold, plural, one {# jour} other {# jours}}} sans sauvegarde réussie.",
    "Aucune sauvegarde n’a réussi depuis l’alerte. Dernière sauvegarde réussie : {{lastSuccess}}.",
  ],
  "subject.unsuccessful.changed": [
    "Sauvegarde {{account}} : seuil d’alerte modifié, toujours aucune sauvegarde réussie depuis le {{lastSuccessDate}}",
    "Sauvegarde {{account}} : seuil d’alerte modifié, toujours aucune sauvegarde réussie",
  ],
  "title.unsuccessful.changed": ["Seuil d’alerte des sauvegardes échouées modifié"],
  "facts.unsuccessful.changed": [
    "Vous serez désormais averti après {{threshold, plural, one {# échec de sauvegarde} other {# échecs de sauvegarde consécutifs}}}.",
    "Aucune sauvegarde n’a réussi depuis l’alerte. Dernière sauvegarde réussie : {{lastSuccess}}.",
  ],
  "subject.unconfirmed": [
    "Sauvegarde {{account}} : problème qui n’est plus signalé",
    "Surveillance des sauvegardes : problème qui n’est plus signalé",
  ],
  "title.unconfirmed": ["N’est plus signalé : {{title}}"],
  "facts.unconfirmed": [
    "La surveillance ne signale plus ce problème depuis le {{endsAt}}.",
    "Nous n’avons pas pu vérifier l’état actuel de la sauvegarde : nous ne pouvons donc pas encore confirmer que le problème est résolu.",
  ],
  "intro.partial": [
    "{{solved, plural, one {# résolu} other {# résolus}}}, {{problems, plural, one {# encore ouvert} other {# encore ouverts}}}.",
  ],
  "intro.stillOpen": ["Encore ouverts :"],
};
