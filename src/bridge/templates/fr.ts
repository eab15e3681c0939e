import type { Catalog } from "./catalog.js";

/** Built-in French templates; operators override single keys in `<overrideDir>/fr.yaml`. */
export const fr: Catalog = {
  "subject.quota.firing": [
    "Sauvegarde {{account}} : espace plein vers le {{fullDate}} au rythme actuel",
    "Sauvegarde {{account}} : espace occupé à {{usedPercent}}",
    "Sauvegarde {{account}} : espace presque plein",
  ],
  "subject.quota.resolved": [
    "Sauvegarde {{account}} : l’espace ne devrait plus être plein le {{fullDate}}",
    "Sauvegarde {{account}} : espace de nouveau sous le seuil d’alerte",
  ],
  "subject.schedule.firing": [
    "Sauvegarde {{account}} : {{missed, plural, one {# sauvegarde planifiée manquée} other {# sauvegardes planifiées manquées}}}",
    "Sauvegarde {{account}} : aucune sauvegarde réussie depuis le {{lastSuccessDate}}",
    "Sauvegarde {{account}} : aucune sauvegarde réussie depuis au moins {{daysThreshold, plural, one {# jour} other {# jours}}}",
    "Sauvegarde {{account}} : sauvegardes planifiées manquées",
  ],
  "subject.schedule.resolved": ["Sauvegarde {{account}} : les sauvegardes ont repris comme prévu"],
  "subject.unsuccessful.firing": [
    "Sauvegarde {{account}} : {{failures, plural, one {# échec de sauvegarde} other {# échecs de sauvegarde consécutifs}}}",
    "Sauvegarde {{account}} : échec de la sauvegarde",
  ],
  "subject.unsuccessful.resolved": ["Sauvegarde {{account}} : les sauvegardes réussissent de nouveau"],
  "subject.upgrade.firing": [
    "Sauvegarde {{account}} : veuillez mettre à jour {{client}} {{clientVersion}}",
    "Sauvegarde {{account}} : veuillez mettre à jour le logiciel de sauvegarde",
  ],
  "subject.upgrade.resolved": ["Sauvegarde {{account}} : logiciel de sauvegarde à jour"],
  "subject.nobackup.firing": ["Sauvegarde {{account}} : aucune sauvegarde reçue"],
  "subject.unreadable.firing": [
    "Sauvegarde {{account}} : l’état du logiciel de sauvegarde sur {{host}} est illisible",
    "Sauvegarde {{account}} : l’état du logiciel de sauvegarde est illisible",
  ],
  "subject.nobackup.resolved": ["Sauvegarde {{account}} : première sauvegarde reçue"],
  "subject.unreadable.resolved": [
    "Sauvegarde {{account}} : l’état du logiciel de sauvegarde est de nouveau lisible",
  ],
  "subject.generic.firing": [
    "Sauvegarde {{account}} : {{summary}}",
    "Surveillance des sauvegardes : {{summary}}",
    "Surveillance des sauvegardes : {{alertname}}",
  ],
  "subject.generic.resolved": [
    "Résolu : sauvegarde {{account}} : {{summary}}",
    "Résolu : {{summary}}",
    "Résolu : {{alertname}}",
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
    "Espace de nouveau sous le seuil d’alerte",
  ],
  "title.schedule.firing": [
    "{{missed, plural, one {# sauvegarde planifiée manquée} other {# sauvegardes planifiées manquées}}}",
    "Aucune sauvegarde réussie récemment",
  ],
  "title.schedule.resolved": ["Les sauvegardes ont repris comme prévu"],
  "title.unsuccessful.firing": [
    "{{failures, plural, one {# échec de sauvegarde} other {# échecs de sauvegarde consécutifs}}}",
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
  "title.generic.resolved": ["Résolu : {{summary}}", "Résolu : {{alertname}}"],
  "greeting.customer": ["Bonjour {{name}},", "Bonjour,"],
  "greeting.reseller": ["Bonjour,"],
  "greeting.operator": ["Bonjour,"],
  "intro.customer": ["La surveillance de votre sauvegarde en ligne signale ce qui suit :"],
  "intro.reseller": ["La surveillance des sauvegardes en ligne de vos clients signale ce qui suit :"],
  "intro.operator": ["La surveillance des sauvegardes signale ce qui suit :"],
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
    "Espace occupé : {{usedGiB}} Gio sur {{quotaGiB}} Gio ({{usedPercent}}).",
    "Seuil d’alerte : {{warningPercent}}.",
    "Au rythme des 30 derniers jours, l’espace sera plein vers le {{fullDate}} : les nouvelles sauvegardes échoueront alors.",
  ],
  "facts.quota.resolved": [
    "Espace occupé maintenant : {{usedGiB}} Gio sur {{quotaGiB}} Gio ({{usedPercent}}).",
  ],
  "facts.schedule.firing": [
    "Aucune sauvegarde réussie depuis au moins {{daysThreshold, plural, one {# jour} other {# jours}}}.",
    "Dernière sauvegarde réussie : {{lastSuccess}}.",
    "Prochaine sauvegarde planifiée : {{nextSchedule}}.",
  ],
  "facts.schedule.resolved": ["Dernière sauvegarde réussie : {{lastSuccess}}."],
  "facts.unsuccessful.firing": ["Dernière sauvegarde réussie : {{lastSuccess}}."],
  "facts.unsuccessful.resolved": ["Dernière sauvegarde réussie : {{lastSuccess}}."],
  "facts.upgrade.firing": [
    "Installé : {{client}} {{clientVersion}}.",
    "Nécessaire : version {{minimumVersion}} ou plus récente.",
  ],
  "facts.upgrade.resolved": ["Installé maintenant : {{client}} {{clientVersion}}."],
  "facts.nobackup.firing": ["Compte créé le {{created}}. Aucune sauvegarde n’a été reçue depuis."],
  "facts.unreadable.firing": [
    "{{unreadableFiles, plural, one {# fichier d’état écrit sur le serveur par le logiciel de sauvegarde n’a pas pu être lu (endommagé} other {# fichiers d’état écrits sur le serveur par le logiciel de sauvegarde n’ont pas pu être lus (endommagés}}} ou dans un format que cette surveillance ne connaît pas).",
  ],
  "facts.nobackup.resolved": [],
  "facts.unreadable.resolved": [],
  "facts.generic.firing": ["{{description}}", "Depuis : {{startsAt}}."],
  "facts.generic.resolved": ["{{description}}", "Résolu le : {{endsAt}}."],
  "facts.unknownAccount": [
    "Le compte {{account}} ne figure pas dans l’annuaire ; cet avis est donc adressé à l’exploitation.",
  ],
  "facts.undeliverable": [
    "Non remis au client ni au revendeur : {{reason}}. Cet avis est adressé à l’exploitation à la place.",
  ],
  "since.firing": [
    "Depuis {{since}} ({{sinceDays, plural, one {# jour} other {# jours}}}).",
    "Depuis {{since}} ({{sinceHours, plural, one {# heure} other {# heures}}}).",
    "Depuis {{since}}.",
  ],
  "why.quota": [
    "Quand l’espace est plein, les nouvelles sauvegardes échouent et les dernières modifications ne sont plus protégées.",
  ],
  "why.schedule": [
    "Sans sauvegardes régulières, tout ce qui a changé depuis la dernière sauvegarde est perdu si l’ordinateur tombe en panne ou est volé.",
  ],
  "why.unsuccessful": [
    "Les fichiers modifiés depuis la dernière sauvegarde réussie ne sont protégés qu’une fois qu’une sauvegarde réussit de nouveau.",
  ],
  "why.upgrade": [
    "Les anciennes versions du logiciel de sauvegarde ne reçoivent plus de corrections et risquent de ne plus fonctionner avec nos serveurs.",
  ],
  "why.nobackup": [
    "Tant qu’aucune première sauvegarde n’a eu lieu, aucun fichier de l’ordinateur n’est protégé.",
  ],
  "why.unreadable": ["Nous ne pouvons donc pas vous avertir si les sauvegardes de cet ordinateur échouent."],
  "why.generic": [],
  "advice.quota": [
    "Supprimez dans le logiciel de sauvegarde les anciennes sauvegardes dont vous n’avez plus besoin, ou commandez plus d’espace sur la page de votre compte.",
  ],
  "advice.schedule": [
    "Veillez à ce que l’ordinateur soit allumé et connecté à Internet à l’heure prévue de la sauvegarde.",
    "Ouvrez le logiciel de sauvegarde et vérifiez que les sauvegardes planifiées sont activées ; vous pouvez aussi lancer une sauvegarde tout de suite.",
  ],
  "advice.unsuccessful": [
    "Ouvrez le logiciel de sauvegarde sur l’ordinateur et lisez le rapport de la dernière sauvegarde : il indique les fichiers ou le problème qui l’ont arrêtée.",
    "Lancez ensuite une sauvegarde à la main. Si elle échoue encore, contactez-nous en nous indiquant ce que dit le rapport.",
  ],
  "advice.upgrade": [
    "Téléchargez le logiciel de sauvegarde actuel : {{downloadUrl}}",
    "Installez-le sur l’ordinateur par-dessus l’ancienne version ; vos réglages et vos sauvegardes sont conservés.",
  ],
  "advice.nobackup": [
    "Installez le logiciel de sauvegarde sur l’ordinateur à protéger et connectez-vous avec le compte {{account}}.",
    "Lancez une première sauvegarde ; ensuite, les sauvegardes se font d’elles-mêmes aux heures prévues.",
  ],
  "advice.unreadable": [
    "Mettez à jour le logiciel de sauvegarde de l’ordinateur vers la version actuelle, ou réinstallez-le ; vos réglages et vos sauvegardes sont conservés.",
  ],
  "advice.generic": [],
  "ask.quota": [
    "Veuillez demander à {{customer}} ({{contact}}) de supprimer les anciennes sauvegardes inutiles, ou proposez-lui plus d’espace.",
    "Veuillez demander à {{customer}} de supprimer les anciennes sauvegardes inutiles, ou proposez-lui plus d’espace.",
    "Veuillez demander à votre client de supprimer les anciennes sauvegardes inutiles, ou proposez-lui plus d’espace.",
  ],
  "ask.schedule": [
    "Veuillez demander à {{customer}} ({{contact}}) d’allumer l’ordinateur à l’heure prévue et de vérifier dans le logiciel de sauvegarde que les sauvegardes planifiées sont activées.",
    "Veuillez demander à {{customer}} d’allumer l’ordinateur à l’heure prévue et de vérifier dans le logiciel de sauvegarde que les sauvegardes planifiées sont activées.",
    "Veuillez demander à votre client d’allumer l’ordinateur à l’heure prévue et de vérifier dans le logiciel de sauvegarde que les sauvegardes planifiées sont activées.",
  ],
  "ask.unsuccessful": [
    "Veuillez demander à {{customer}} ({{contact}}) le rapport de la dernière sauvegarde dans le logiciel de sauvegarde ; il indique le problème.",
    "Veuillez demander à {{customer}} le rapport de la dernière sauvegarde dans le logiciel de sauvegarde ; il indique le problème.",
    "Veuillez demander à votre client le rapport de la dernière sauvegarde dans le logiciel de sauvegarde ; il indique le problème.",
  ],
  "ask.upgrade": [
    "Veuillez demander à {{customer}} ({{contact}}) d’installer le logiciel de sauvegarde actuel, ou installez-le vous-même : {{downloadUrl}}",
    "Veuillez demander à {{customer}} d’installer le logiciel de sauvegarde actuel, ou installez-le vous-même : {{downloadUrl}}",
    "Veuillez demander à votre client d’installer le logiciel de sauvegarde actuel, ou installez-le vous-même : {{downloadUrl}}",
  ],
  "ask.nobackup": [
    "Veuillez demander à {{customer}} ({{contact}}) si le compte sert encore et, si oui, d’installer le logiciel de sauvegarde et de lancer une première sauvegarde.",
    "Veuillez demander à {{customer}} si le compte sert encore et, si oui, d’installer le logiciel de sauvegarde et de lancer une première sauvegarde.",
    "Veuillez demander à votre client si le compte sert encore et, si oui, d’installer le logiciel de sauvegarde et de lancer une première sauvegarde.",
  ],
  "ask.unreadable": [
    "Veuillez demander à {{customer}} ({{contact}}) de mettre à jour ou de réinstaller le logiciel de sauvegarde, ou faites-le vous-même.",
    "Veuillez demander à {{customer}} de mettre à jour ou de réinstaller le logiciel de sauvegarde, ou faites-le vous-même.",
    "Veuillez demander à votre client de mettre à jour ou de réinstaller le logiciel de sauvegarde, ou faites-le vous-même.",
  ],
  "ask.generic": [],
  "label.steps": ["Que faire :"],
  "button.account": ["Ouvrir le compte {{account}}", "Ouvrir le portail de sauvegarde"],
  "link.account": ["Ouvrir le compte {{account}} : {{accountUrl}}"],
  "footer.customer": [
    "Vous recevez ce message parce que les avertissements de sauvegarde sont activés pour votre compte.",
    "Vous pouvez modifier ce réglage sur {{settingsUrl}}",
    "Votre équipe de sauvegarde",
  ],
  "footer.reseller": [
    "Vous recevez ce message en tant que revendeur de ces comptes.",
    "Votre équipe de sauvegarde",
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
    "Sauvegarde {{account}} : ce problème n’est plus signalé",
    "Surveillance des sauvegardes : ce problème n’est plus signalé",
  ],
  "title.unconfirmed": ["Plus signalé par la surveillance : {{title}}"],
  "facts.unconfirmed": [
    "La surveillance ne signale plus ce problème depuis le {{endsAt}}.",
    "Nous n’avons pas pu vérifier l’état actuel de la sauvegarde : nous ne pouvons donc pas encore confirmer que le problème est résolu.",
  ],
  "intro.partial": [
    "{{solved, plural, one {# résolu} other {# résolus}}}, {{problems, plural, one {# encore ouvert} other {# encore ouverts}}}.",
  ],
  "intro.stillOpen": ["Encore ouverts :"],
};
